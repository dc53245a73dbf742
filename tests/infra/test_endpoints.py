"""deploy.endpoints: boto3's standard endpoint configuration, applied to a given environment."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from deploy.endpoints import Endpoints
from embedded.config import SystemConfig
from embedded.system import EmbeddedSystem
from ops.target import Target


@pytest.fixture(autouse=True)
def _no_config_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))


def test_a_service_variable_beats_the_default_one() -> None:
    endpoints = Endpoints({"AWS_ENDPOINT_URL": "http://a:1", "AWS_ENDPOINT_URL_DYNAMODB": "http://b:2"})
    assert endpoints.url("dynamodb") == "http://b:2"
    assert endpoints.url("sns") == endpoints.url("sqs") == "http://a:1"
    assert endpoints.cloudformation_beside("dynamodb").meta.endpoint_url == "http://b:2"
    assert endpoints.cloudformation_beside("sns", "sqs").meta.endpoint_url == "http://a:1"


def test_the_config_files_services_section_counts(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    config = tmp_path / "config"
    config.write_text(
        "[default]\nservices = local\n[services local]\ndynamodb =\n  endpoint_url = http://c:3\n", encoding="utf-8"
    )
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    assert Endpoints({}).url("dynamodb") == "http://c:3"
    assert Endpoints({}).url("sqs") is None


def test_nothing_configured_is_aws_itself() -> None:
    endpoints = Endpoints({}, region="eu-west-1")
    assert endpoints.url("sqs") is None
    assert endpoints.cloudformation_beside("dynamodb").meta.endpoint_url == "https://cloudformation.eu-west-1.amazonaws.com"


def test_one_templates_services_split_across_endpoints_is_refused() -> None:
    endpoints = Endpoints({"AWS_ENDPOINT_URL_SNS": "http://a:1", "AWS_ENDPOINT_URL_SQS": "http://b:2"})
    with pytest.raises(ValueError, match="must share an endpoint: sns at http://a:1, sqs at http://b:2"):
        endpoints.cloudformation_beside("sns", "sqs")


def test_single_overrides_whatever_the_environment_says(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL_DYNAMODB", "http://elsewhere:9")
    assert Endpoints.single("http://emulator:4566").url("dynamodb") == "http://emulator:4566"


def _access_key(client: Any) -> str:
    return str(client._request_signer._credentials.access_key)


def test_credentials_come_from_the_given_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    endpoints = Endpoints({"AWS_ENDPOINT_URL": "http://a:1", "AWS_ACCESS_KEY_ID": "k", "AWS_SECRET_ACCESS_KEY": "s"})
    assert _access_key(endpoints.client("sqs")) == "k"
    assert _access_key(endpoints.cloudformation_beside("sqs")) == "k"
    assert Endpoints({"AWS_ACCESS_KEY_ID": "half"}).credentials() == {}  # boto3's chain decides


def test_empty_credential_variables_leave_the_profile_in_charge(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # GIVEN a profile with keys, and the key variables set but empty (an unset compose variable)
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    credentials = tmp_path / "credentials"
    credentials.write_text("[p]\naws_access_key_id = PROFILEKEY\naws_secret_access_key = s\n", encoding="utf-8")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(credentials))
    monkeypatch.setenv("AWS_PROFILE", "p")
    monkeypatch.setattr("mysfits_common.aws._session", None)  # a session that reads this profile
    env = {"AWS_ENDPOINT_URL": "http://a:1", "AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": ""}

    # THEN boto3's chain decides, as it would have for this environment
    assert Endpoints(env).credentials() == {}
    assert _access_key(Endpoints(env).client("sqs")) == "PROFILEKEY"


def test_a_session_token_travels_with_its_key() -> None:
    env = {"AWS_ACCESS_KEY_ID": "k", "AWS_SECRET_ACCESS_KEY": "s", "AWS_SECURITY_TOKEN": "t", "AWS_SESSION_TOKEN": ""}
    assert Endpoints(env).credentials() == {
        "aws_access_key_id": "k",
        "aws_secret_access_key": "s",
        "aws_session_token": "t",
    }


def test_ops_on_an_emulator_needs_no_credentials_and_sets_none(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    before = dict(os.environ)
    target = Target.from_environment("mysfits", "http://127.0.0.1:4566")
    assert _access_key(target.client("sqs")) == "testing"
    assert dict(os.environ) == before


def test_on_an_emulator_empty_key_variables_are_no_keys_either(monkeypatch: pytest.MonkeyPatch) -> None:
    # GIVEN key variables set but empty, and no profile
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "")

    # THEN ops on an emulator and make run's processes sign with the emulator's keys
    assert _access_key(Target.from_environment("mysfits", "http://127.0.0.1:4566").client("sqs")) == "testing"
    env = EmbeddedSystem(SystemConfig())._base_env()
    assert (env["AWS_ACCESS_KEY_ID"], env["AWS_SECRET_ACCESS_KEY"]) == ("testing", "testing")
