"""The command-line tools report one way: an expected failure is one line and its exit code, never a
traceback; ``extra`` fields of log records are printed."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from deploy import aws, localstack_init
from deploy.templates import TemplateError
from embedded.processes import free_port
from mysfits_common.cli import Exit, configure_command_logging


def test_an_unreachable_endpoint_is_one_line_and_exit_5(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    unreachable = f"http://127.0.0.1:{free_port()}"

    code = localstack_init.main({"AWS_ENDPOINT_URL": unreachable, "PROJECT_NAME": "nowhere"})

    stderr = capsys.readouterr().err
    assert code == Exit.UNREACHABLE
    assert "Traceback" not in stderr
    (failure,) = [line for line in stderr.splitlines() if line.startswith("mysfits-init failed: ")]
    assert unreachable in failure


def test_a_bad_template_is_one_line_and_exit_1(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def broken(self: Any) -> None:
        raise TemplateError("infra/cloudformation/data.yaml: a CloudFormation template is a mapping")

    monkeypatch.setattr(aws.AwsDeployer, "deploy", broken)

    code = aws.main(["deploy"], session=_session_with_credentials())

    stderr = capsys.readouterr().err
    assert code == 1
    assert "Traceback" not in stderr
    assert "deploy.aws deploy failed: infra/cloudformation/data.yaml: a CloudFormation template is a mapping" in stderr


def test_extra_fields_of_a_log_record_are_printed(capsys: pytest.CaptureFixture[str]) -> None:
    configure_command_logging("tool")
    logging.getLogger("deploy.test").error("Redrive failed", extra={"reason": "queue is gone", "queue": "like"})

    assert capsys.readouterr().err.strip() == "tool ERROR Redrive failed reason=queue is gone queue=like"


def _session_with_credentials() -> Any:
    import boto3

    return boto3.session.Session(aws_access_key_id="a", aws_secret_access_key="b", region_name="us-east-1")
