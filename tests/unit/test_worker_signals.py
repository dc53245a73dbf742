"""A worker's SIGTERM handler runs on the main thread, between two bytecodes: it must not need a lock
that the main thread may be holding at that moment. This test sends the signal at exactly that
moment, while the consumer loop holds its wake-up event's lock, in a process of its own (a handler
that waited for its own thread would hang it for good)."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import REPO_ROOT

SCRIPT = """
import os, signal, threading, time
from mysfits_common.consumer import Consumer, ConsumerSettings
from mysfits_common.worker import run_until_signalled
from tests.unit.test_consumer import FakeSqs

class SignalledWhileHeld(threading.Event):
    '''The loop's wake-up event; its first clear() gets SIGTERM while holding the event's lock.'''
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


def test_a_sigterm_while_the_loop_holds_its_wake_up_lock_still_stops_the_worker() -> None:
    try:
        result = subprocess.run(
            [sys.executable, "-c", SCRIPT], cwd=REPO_ROOT, capture_output=True, text=True, timeout=20, check=False
        )
    except subprocess.TimeoutExpired:
        raise AssertionError("the worker hung: its SIGTERM handler waited for a lock its own thread held") from None
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "stopped"
