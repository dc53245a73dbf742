"""LocalStack, run on the host as the README's recipe needs it: CloudFormation, SNS, SQS, SSM and KMS
(DynamoDB stays on the embedded emulator: LocalStack's downloads Java at first use).

`make test` installs it in ``.venv-localstack`` (Python 3.12+) on first use. Where it is missing, the
tests fail in CI with one line saying why, and are skipped elsewhere.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from embedded.processes import ManagedProcess, free_port, wait_until
from tests.conftest import REPO_ROOT

LOCALSTACK_PYTHON = REPO_ROOT / ".venv-localstack" / "bin" / "python"
# What the recipe deploys (cloudformation, sns, sqs, ssm, kms) and what LocalStack's CloudFormation
# itself calls. CloudWatch is off, as docker-compose.localstack.yml runs it.
SERVICES = "cloudformation,sns,sqs,ssm,kms,sts,iam,s3"


def unavailable(reason: str) -> None:
    """Fail in CI (a test that cannot run there is a failure), skip on a developer's machine."""
    if os.environ.get("CI"):
        pytest.fail(reason, pytrace=False)
    pytest.skip(reason)


def _ready(url: str, process: ManagedProcess) -> bool:
    assert process.running, f"LocalStack exited with {process.returncode}; see {process.log_path}"
    try:
        services = requests.get(f"{url}/_localstack/health", timeout=1).json()["services"]
    except (requests.RequestException, ValueError, KeyError):
        return False
    return all(services.get(name) in ("available", "running") for name in SERVICES.split(","))


@pytest.fixture(scope="module")
def localstack(output_dir: Path) -> Iterator[str]:
    """LocalStack 4.14.0 on a free port, its files in a temporary directory; yields its URL.

    Nothing is downloaded at run time: no TLS certificate, no DNS server (whose fallback it looks
    up on the internet), no analytics."""
    if not LOCALSTACK_PYTHON.exists():
        unavailable(
            f"LocalStack is not installed ({LOCALSTACK_PYTHON.parent.parent.name}/): `make test` installs it with "
            "Python 3.12+ (python3.13, python3.12 or pyenv's), and found none"
        )
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="localstack-") as root:
        env = {
            **{key: value for key, value in os.environ.items() if not key.startswith("AWS_ENDPOINT_URL")},
            "OVERRIDE_IN_DOCKER": "0",
            "FILESYSTEM_ROOT": root,
            "GATEWAY_LISTEN": f"127.0.0.1:{port}",
            "SERVICES": SERVICES,
            "DISABLE_EVENTS": "1",
            "SKIP_SSL_CERT_DOWNLOAD": "1",
            "DNS_ADDRESS": "0",
            "PYTHONPATH": "",
        }
        process = ManagedProcess(
            "localstack", [str(LOCALSTACK_PYTHON), "-m", "localstack.runtime.main"], env, output_dir / "localstack.log"
        ).start()
        url = f"http://127.0.0.1:{port}"
        try:
            wait_until(lambda: _ready(url, process), 90, f"LocalStack at {url}")
            yield url
        finally:
            process.stop(timeout=20)
