"""Child processes of the embedded system: start, wait for, stop, and free ports for them."""

from __future__ import annotations

import ctypes
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import IO

import requests


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def port_in_use(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def answers(url: str) -> bool:
    """True if anything answers HTTP at `url`, whatever the status."""
    try:
        requests.get(url, timeout=1)
    except requests.RequestException:
        return False
    return True


def process_parents() -> dict[int, int]:
    """Every running process's parent pid, read from /proc (Linux)."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            # The command name may hold spaces and parentheses: the fields start after the last ')'.
            parents[int(entry.name)] = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue  # the process ended while being read
    return parents


def alive(pid: int) -> bool:
    """True while the process runs; one that ended but is not yet reaped (a zombie) is not alive."""
    try:
        state = (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


def descendants(root: int, parents: Mapping[int, int] | None = None) -> list[int]:
    """Every process ``root`` started, directly or not (gunicorn's workers under its master)."""
    parents = process_parents() if parents is None else parents
    found: list[int] = []
    frontier = {root}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier}
        found += sorted(frontier)
    return found


def wait_until(check: Callable[[], bool], timeout: float, what: str, interval: float = 0.1) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(interval)


_PR_SET_PDEATHSIG = 1
_libc = ctypes.CDLL(None, use_errno=True) if sys.platform.startswith("linux") else None


def _dies_with(parent_pid: int) -> None:
    """In the child, before exec: have Linux send it SIGTERM when the runner that started it dies.

    The children run in sessions of their own (so that Ctrl-C reaches the runner alone, which
    stops them in order); without this, a runner killed with SIGKILL or a closed terminal left
    them holding their ports. If the runner is already gone, the child ends itself at once.
    """
    if _libc is not None:
        _libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    if os.getppid() != parent_pid:
        os.kill(os.getpid(), signal.SIGTERM)


class ManagedProcess:
    """One child process, its output in a log file (or the console), stopped with SIGTERM then SIGKILL."""

    def __init__(self, name: str, argv: list[str], env: Mapping[str, str], log_path: Path | None) -> None:
        self.name = name
        self.argv = argv
        self.env = dict(env)
        self.log_path = log_path
        self._process: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    def start(self) -> ManagedProcess:
        if self.log_path is not None:
            self.log_path.parent.mkdir(parents=True, exist_ok=True)
            self._log = self.log_path.open("ab")
        runner = os.getpid()
        self._process = subprocess.Popen(
            self.argv,
            env=self.env,
            cwd=Path(__file__).resolve().parent.parent,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT if self._log else None,
            start_new_session=True,  # Ctrl-C reaches the runner alone, which stops children in order
            preexec_fn=lambda: _dies_with(runner),
        )
        return self

    @property
    def pid(self) -> int:
        assert self._process is not None
        return self._process.pid

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    @property
    def returncode(self) -> int | None:
        return None if self._process is None else self._process.poll()

    def signal(self, signum: int) -> None:
        if self.running:
            os.kill(self.pid, signum)

    def kill_group(self) -> None:
        """SIGKILL the process and every child it started (gunicorn's workers), as a crash would."""
        if self.running:
            os.killpg(self.pid, signal.SIGKILL)

    def wait(self, timeout: float) -> int | None:
        if self._process is None:
            return None
        try:
            return self._process.wait(timeout)
        except subprocess.TimeoutExpired:
            return None

    def stop(self, timeout: float = 30) -> int | None:
        """SIGTERM, wait up to `timeout` seconds for a drain, then SIGKILL."""
        if self._process is None:
            return None
        if self.running:
            self.signal(signal.SIGTERM)
            if self.wait(timeout) is None:
                self.signal(signal.SIGKILL)
                self.wait(5)
        if self._log is not None:
            self._log.close()
            self._log = None
        return self.returncode
