"""mysfits_common.healthcheck: the command the containers' health checks run."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from mysfits_common.healthcheck import check_health_file, main


def test_a_fresh_health_file_is_healthy(tmp_path: Path) -> None:
    health = tmp_path / "worker-health"
    health.touch()
    assert main([], env={"WORKER_HEALTH_FILE": str(health)}) == 0


def test_a_stale_health_file_is_unhealthy(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # GIVEN a file the consumer loop last touched three minutes ago
    health = tmp_path / "worker-health"
    health.touch()
    old = health.stat().st_mtime - 180
    os.utime(health, (old, old))
    # WHEN / THEN
    assert main([], env={"WORKER_HEALTH_FILE": str(health)}) == 1
    assert "not polling" in capsys.readouterr().err
    assert main(["--max-age", "300"], env={"WORKER_HEALTH_FILE": str(health)}) == 0
    assert main([], env={"WORKER_HEALTH_FILE": str(health), "WORKER_HEALTH_MAX_AGE": "300"}) == 0


def test_a_problem_the_loop_writes_makes_it_unhealthy(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    health = tmp_path / "worker-health"
    health.write_text("not authorised: the monolith answered 401")

    assert main([], env={"WORKER_HEALTH_FILE": str(health)}) == 1
    assert "not authorised" in capsys.readouterr().err


def test_an_empty_max_age_is_its_default_and_a_bad_one_is_named(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    health = tmp_path / "worker-health"
    health.touch()
    assert main([], env={"WORKER_HEALTH_FILE": str(health), "WORKER_HEALTH_MAX_AGE": ""}) == 0
    assert main([], env={"WORKER_HEALTH_FILE": str(health), "WORKER_HEALTH_MAX_AGE": "soon"}) == 1
    assert capsys.readouterr().err == "unhealthy: WORKER_HEALTH_MAX_AGE must be a number, not 'soon'\n"


def test_a_missing_file_or_setting_is_unhealthy(tmp_path: Path) -> None:
    assert main([], env={"WORKER_HEALTH_FILE": str(tmp_path / "absent")}) == 1
    assert main([], env={}) == 1


def test_age_is_measured_against_the_clock(tmp_path: Path) -> None:
    health = tmp_path / "h"
    health.touch()
    mtime = health.stat().st_mtime
    assert check_health_file(health, 60, now=lambda: mtime + 59) is None
    assert "61 s old" in (check_health_file(health, 60, now=lambda: mtime + 61) or "")


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200 if self.path == "/" else 503)
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def server() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_url_mode(server: str) -> None:
    assert main(["--url", f"{server}/"]) == 0
    assert main(["--url", f"{server}/down"]) == 1
    assert main(["--url", "http://127.0.0.1:9/", "--timeout", "0.5"]) == 1
