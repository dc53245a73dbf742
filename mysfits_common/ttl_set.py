"""A small thread-safe set whose members expire: positive caching of ids known to exist."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


class TtlSet:
    def __init__(self, ttl_seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self._ttl = ttl_seconds
        self._clock = clock
        self._expiry: dict[str, float] = {}
        self._lock = threading.Lock()

    def add(self, key: str) -> None:
        with self._lock:
            self._expiry[key] = self._clock() + self._ttl

    def __contains__(self, key: object) -> bool:
        with self._lock:
            expiry = self._expiry.get(str(key))
            if expiry is None:
                return False
            if expiry <= self._clock():
                del self._expiry[str(key)]
                return False
            return True
