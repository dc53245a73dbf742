"""Fixtures for the infrastructure tests: a real moto server in a subprocess and dummy credentials."""

from __future__ import annotations

import os
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator

import pytest

from tests.infra.support import venv_command

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


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/moto-api/", timeout=1):
            return True
    except urllib.error.HTTPError:
        return True  # it answered, just not with 200
    except OSError:
        return False


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
def moto_server(aws_credentials: None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A moto server (``moto_server -H 127.0.0.1 -p <free port>``) for the session; yields its URL."""
    log_path = tmp_path_factory.mktemp("moto") / "moto_server.log"
    command = venv_command("moto_server", "moto.server:main")
    env = {**os.environ, **_DUMMY_AWS_ENV}
    last_error = "not started"
    for _attempt in range(3):  # the free port may be taken between probe and bind: retry
        port = _free_port()
        url = f"http://127.0.0.1:{port}"
        with log_path.open("ab") as log:
            process = subprocess.Popen(
                [*command, "-H", "127.0.0.1", "-p", str(port)],
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env=env,
            )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and process.poll() is None and not _answers(url):
            time.sleep(0.1)
        if process.poll() is None and _answers(url):
            break
        last_error = f"exit code {process.poll()}"
        process.kill()
        process.wait(timeout=10)
    else:
        pytest.fail(f"moto server did not start ({last_error}):\n{log_path.read_text(errors='replace')}")

    try:
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
