"""Fixtures for the infrastructure tests: the embedded emulator in a subprocess and dummy credentials."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

_DUMMY_AWS_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_REGION": "us-east-1",
}
# Never let a developer's profile, config files or endpoint override leak into the tests.
_UNSET_AWS_ENV = (
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_ENDPOINT_URL",
    "AWS_ROLE_ARN",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
)


@pytest.fixture(scope="session")
def aws_credentials(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Dummy credentials and region for the whole session, isolated from ~/.aws."""
    empty = tmp_path_factory.mktemp("aws-config") / "none"
    with pytest.MonkeyPatch.context() as mp:
        for name in _UNSET_AWS_ENV:
            mp.delenv(name, raising=False)
        for name, value in _DUMMY_AWS_ENV.items():
            mp.setenv(name, value)
        mp.setenv("AWS_CONFIG_FILE", str(empty))
        mp.setenv("AWS_SHARED_CREDENTIALS_FILE", str(empty))
        yield


@pytest.fixture(scope="session")
def emulator(aws_credentials: None, emulator: str) -> str:
    """The embedded emulator (moto's server with this project's fidelity fixes), under dummy credentials."""
    return emulator

