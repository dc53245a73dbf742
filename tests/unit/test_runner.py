"""`make run`'s runner (`python -m embedded`): a setting it cannot use is one line and exit 2; Ctrl-C
stops the system in order; a second Ctrl-C while it drains stops every process at once, with a
one-line message instead of a traceback.

The runner runs in a process of its own, with a stand-in for the system whose stop drains for as
long as a busy worker could, so that the second signal always lands mid-stop."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from embedded.processes import free_port
from tests.conftest import REPO_ROOT

RUNNER = """
import time
import embedded.__main__ as runner

class DrainingSystem:
    topology = object()
    website = None
    api_url = endpoint_url = "http://127.0.0.1:1"

    def __init__(self, config):
        pass

    def start(self):
        print("started", flush=True)

    def stop(self):
        print("draining", flush=True)
        time.sleep(60)  # a worker finishing a long batch
        print("drained", flush=True)

    def kill(self):
        print("killed", flush=True)

runner.EmbeddedSystem = DrainingSystem
raise SystemExit(runner.main())
"""


def _start_runner(code: str = RUNNER, **settings: str) -> subprocess.Popen[str]:
    env = {
        **os.environ,
        "API_PORT": str(free_port()),
        "WEBSITE_PORT": str(free_port()),
        "PYTHONUNBUFFERED": "1",
        **settings,
    }
    return subprocess.Popen(
        [sys.executable, "-c", code],
        cwd=REPO_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _read_until(process: subprocess.Popen[str], wanted: str) -> None:
    assert process.stdout is not None
    for line in process.stdout:
        if line.strip() == wanted:
            return
    raise AssertionError(f"the runner exited with {process.wait(5)} before printing {wanted!r}")


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_a_second_stop_signal_while_draining_kills_everything_without_a_traceback(signum: int) -> None:
    process = _start_runner()
    try:
        _read_until(process, "started")
        process.send_signal(signum)
        _read_until(process, "draining")
        time.sleep(0.2)

        process.send_signal(signum)
        out, err = process.communicate(timeout=20)

        assert (process.returncode, out.split()) == (130, ["killed"])
        assert "Traceback" not in err
        assert "Stopped at once" in err
    finally:
        process.kill()
        process.communicate()


@pytest.mark.parametrize("name", ["API_PORT", "MAX_RECEIVE_COUNT", "MARKER_TTL_SECONDS"])
def test_a_setting_that_is_not_a_number_is_one_line_and_exit_2(name: str) -> None:
    process = _start_runner(RUNNER, **{name: "twenty"})
    out, err = process.communicate(timeout=30)

    assert (process.returncode, out) == (2, "")
    assert "Traceback" not in err
    assert f"{name} must be a whole number, not 'twenty'" in err
