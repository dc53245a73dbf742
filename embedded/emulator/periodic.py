"""A job the emulator runs in the background every few seconds, as AWS does on its side (TTL
sweeps, queue metrics): on a daemon thread, and a round that fails never ends the rounds after it."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

__all__ = ["Periodic"]

logger = logging.getLogger(__name__)


class Periodic:
    def __init__(self, name: str, interval: float, job: Callable[[], Any]) -> None:
        self.name = name
        self.interval = interval
        self._job = job
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    def start(self) -> Periodic:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopped.set()
        self._thread.join(self.interval + 5)

    def _run(self) -> None:
        while not self._stopped.wait(self.interval):
            try:
                self._job()
            except Exception:  # one failed round must not end the rounds after it
                logger.exception("%s failed", self.name)
