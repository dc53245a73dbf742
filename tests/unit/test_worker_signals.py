"""A worker's SIGTERM handler runs on the main thread, between two of its bytecodes. So it must not
need a lock that the main thread may be holding at that moment, and the main thread must wake up to
run it even when the kernel handed the signal to another thread. Each test sends the signal at such
a moment, in a process of its own (a worker that hangs would otherwise hang the test run)."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import REPO_ROOT

HELD_LOCK = """
import os, signal, threading, time
from mysfits_common.consumer import Consumer, ConsumerSettings
from mysfits_common.worker import run_until_signalled
from tests.fakes import FakeSqs

class SignalledWhileHeld(threading.Event):
    # The loop's wake-up event; its first clear() gets SIGTERM while holding the event's lock.
    signalled = False

    def clear(self):
        with self._cond:
            if not self.signalled:
                self.signalled = True
                os.kill(os.getpid(), signal.SIGTERM)
                time.sleep(0.05)  # the signal's handler is due while the lock is held
            self._flag = False

consumer = Consumer(FakeSqs(), ConsumerSettings(queue_url="http://queue"), lambda events: {})
consumer._wake = SignalledWhileHeld()
run_until_signalled(consumer)
print("stopped")
"""

OTHER_THREAD = """
import signal, threading
from mysfits_common.consumer import Consumer, ConsumerSettings
from mysfits_common.worker import run_until_signalled
from tests.fakes import FakeSqs

class SignalledDuringThePoll(FakeSqs):
    # A long poll on an empty queue, during which the kernel hands SIGTERM to the polling thread;
    # it answers after 2 s (a stopping worker lets its poll answer), and again if polled again.
    def receive_message(self, **kwargs):
        signal.pthread_kill(threading.get_ident(), signal.SIGTERM)
        threading.Event().wait(2)
        return {}

consumer = Consumer(SignalledDuringThePoll(), ConsumerSettings(queue_url="http://queue"), lambda events: {})
run_until_signalled(consumer)
print("stopped")
"""


def _stops(script: str) -> None:
    try:
        result = subprocess.run(
            [sys.executable, "-c", script], cwd=REPO_ROOT, capture_output=True, text=True, timeout=8, check=False
        )
    except subprocess.TimeoutExpired:
        raise AssertionError("the worker did not stop: its SIGTERM handler never ran or never returned") from None
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "stopped"


def test_a_sigterm_while_the_loop_holds_its_wake_up_lock_still_stops_the_worker() -> None:
    _stops(HELD_LOCK)


def test_a_sigterm_the_kernel_hands_to_another_thread_still_stops_the_worker() -> None:
    _stops(OTHER_THREAD)
