"""`make run`'s runner (`python -m embedded`): a setting it cannot use is one line and exit 2; Ctrl-C
stops the system in order; a second Ctrl-C while it drains (after it ran, or while it was still
starting) stops every process at once, with a one-line message instead of a traceback.

The runner runs in a process of its own, with the real system around stand-ins for its processes:
its stop drains for as long as a busy worker could, so that the second signal always lands mid-stop."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from embedded.config import SystemConfig
from embedded.processes import ManagedProcess, alive, descendants, free_port
from embedded.system import WORKERS, EmbeddedSystem
from tests.conftest import REPO_ROOT

RUNNER = """
import os, time
import embedded.__main__ as runner
from embedded.system import EmbeddedSystem

class DrainingSystem(EmbeddedSystem):
    # The real system's start, stop_or_kill and kill, around stand-ins for its processes: its
    # emulator takes a minute to start when SLOW_START is set; its stop drains for a minute.
    def start_emulator(self):
        print("starting", flush=True)
        if os.environ.get("SLOW_START"):
            time.sleep(60)

    def deploy(self):
        self.topology = object()

    def start_monolith(self): pass
    def start_worker(self, name): pass
    def _start_supervisor(self): pass

    def stop(self):
        print("draining", flush=True)
        time.sleep(60)  # a worker finishing a long batch
        print("drained", flush=True)

    def kill(self):
        print("killed", flush=True)
        if os.environ.get("SLOW_KILL"):
            time.sleep(1)  # a third signal lands meanwhile
        super().kill()

runner.EmbeddedSystem = DrainingSystem
raise SystemExit(runner.main())
"""


def _start_runner(code: str = RUNNER, **settings: str) -> subprocess.Popen[str]:
    env = {
        **os.environ,
        "API_PORT": str(free_port()),
        "WEBSITE_PORT": str(free_port()),
        "PYTHONUNBUFFERED": "1",
        "SERVE_WEBSITE": "0",
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


@pytest.mark.parametrize(
    ("signum", "while_starting"),
    [(signal.SIGINT, False), (signal.SIGTERM, False), (signal.SIGINT, True)],
    ids=["ctrl-c", "sigterm", "ctrl-c-while-starting"],
)
def test_a_second_stop_signal_while_draining_kills_everything_without_a_traceback(
    signum: int, while_starting: bool
) -> None:
    process = _start_runner(**({"SLOW_START": "1"} if while_starting else {}))
    try:
        _read_until(process, "starting" if while_starting else "Press Ctrl-C to stop.")
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


def test_a_third_stop_signal_does_not_interrupt_the_kill() -> None:
    process = _start_runner(SLOW_KILL="1")
    try:
        _read_until(process, "Press Ctrl-C to stop.")
        process.send_signal(signal.SIGINT)
        _read_until(process, "draining")
        time.sleep(0.2)
        process.send_signal(signal.SIGINT)
        _read_until(process, "killed")

        process.send_signal(signal.SIGINT)
        _out, err = process.communicate(timeout=20)

        assert process.returncode == 130
        assert "Traceback" not in err
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


def test_kill_ends_every_process_of_the_system_and_their_children_at_once() -> None:
    # GIVEN a system whose processes ignore SIGTERM, and one with a child of its own (as gunicorn's workers)
    stubborn = ["sh", "-c", "trap '' TERM; sleep 60 & wait"]
    system = EmbeddedSystem(SystemConfig(serve_website=False))
    system.emulator = ManagedProcess("emulator", stubborn, os.environ, None).start()
    system.monolith = ManagedProcess("monolith", stubborn, os.environ, None).start()
    system.workers = {name: ManagedProcess(name, stubborn, os.environ, None).start() for name in WORKERS}
    time.sleep(0.3)  # their children started
    pids = [pid for process in (system.emulator, system.monolith, *system.workers.values())
            for pid in (process.pid, *descendants(process.pid))]
    assert len(pids) == 8

    # WHEN it is killed, THEN none of them is left, within a second
    system.kill()
    assert all(process.wait(1) == -signal.SIGKILL for process in (system.emulator, system.monolith,
                                                                   *system.workers.values()))
    deadline = time.monotonic() + 1
    while (running := [pid for pid in pids if alive(pid)]) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert running == []
    assert system.stop_or_kill() is False  # nothing is left to stop in order
