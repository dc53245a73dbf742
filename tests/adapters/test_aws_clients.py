"""mysfits_common.aws: gunicorn's master preloads the clients' data before it forks. On Fargate the
credentials come from the task role's endpoint: the preload must not ask it (the master would then
hold credentials and a connection of its own), while the clients made after it must."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from mysfits_common import aws


class _TaskRoleCredentials(BaseHTTPRequestHandler):
    """ECS's container credentials endpoint: counts the requests it answers."""

    requests = 0

    def do_GET(self) -> None:
        type(self).requests += 1
        body = json.dumps(
            {
                "AccessKeyId": "task-role",
                "SecretAccessKey": "task-role-secret",
                "Token": "token",
                "Expiration": "2999-01-01T00:00:00Z",
            }
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_args: object) -> None:
        pass


@pytest.fixture
def task_role(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[type[_TaskRoleCredentials]]:
    """The credential chain as on Fargate: nothing in the environment or in files, a task role."""
    _TaskRoleCredentials.requests = 0
    server = ThreadingHTTPServer(("127.0.0.1", 0), _TaskRoleCredentials)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    monkeypatch.setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", f"http://127.0.0.1:{server.server_port}/credentials")
    monkeypatch.setattr(aws, "_session", None)  # a process that has made no client yet
    try:
        yield _TaskRoleCredentials
    finally:
        server.shutdown()
        server.server_close()


def test_preloading_asks_no_credentials_and_the_clients_after_it_do(task_role: type[_TaskRoleCredentials]) -> None:
    aws.preload("dynamodb", "sns", "ssm", "sqs")
    assert task_role.requests == 0

    sqs = aws.client("sqs")
    assert task_role.requests == 1
    credentials = sqs._request_signer._credentials.get_frozen_credentials()
    assert credentials.access_key == "task-role"
    assert sqs.meta.region_name == "eu-west-1"  # the preload's region is its own, not the clients'
