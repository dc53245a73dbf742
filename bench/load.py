"""A steady client load of likes, and reading the counts it should reach."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import requests

__all__ = ["LikeLoad", "Submitted", "total_likes", "wait_for_total"]

POLL_SECONDS = 0.25


@dataclass(frozen=True)
class Submitted:
    accepted: int  # 202 (published, for the like worker to count), or 200 in inline mode
    refused: Counter[str]  # any other status, or the exception that stood for one
    seconds: float


class LikeLoad:
    """A steady client: one session per thread, kept for the whole soak, each cycling over the mysfits."""

    def __init__(
        self, api_url: str, mysfit_ids: list[str], threads: int, accepted_statuses: tuple[int, ...] = (202,)
    ) -> None:
        self.api_url = api_url
        self.accepted_statuses = accepted_statuses
        self.mysfit_ids = mysfit_ids
        self.sessions = [requests.Session() for _ in range(threads)]
        self._pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="like")

    def close(self) -> None:
        self._pool.shutdown()
        self.hang_up()

    def hang_up(self) -> None:
        """Close the kept-alive connections (the sessions stay usable): a gunicorn being stopped waits
        up to 2 s for idle ones before it exits."""
        for session in self.sessions:
            session.close()

    def submit(self, count: int) -> Submitted:
        threads = len(self.sessions)
        shares = [count // threads + (1 if index < count % threads else 0) for index in range(threads)]
        started = time.perf_counter()
        results = list(self._pool.map(self._post_likes, self.sessions, shares, range(threads)))
        seconds = time.perf_counter() - started
        refused: Counter[str] = Counter()
        for _, refused_by_thread in results:
            refused.update(refused_by_thread)
        return Submitted(sum(accepted for accepted, _ in results), refused, seconds)

    def _post_likes(self, session: requests.Session, count: int, offset: int) -> tuple[int, Counter[str]]:
        accepted, refused = 0, Counter[str]()
        for index in range(count):
            mysfit_id = self.mysfit_ids[(offset + index) % len(self.mysfit_ids)]
            try:
                status = session.post(f"{self.api_url}/mysfits/{mysfit_id}/like", timeout=30).status_code
            except requests.RequestException as error:
                refused[type(error).__name__] += 1
                continue
            if status in self.accepted_statuses:
                accepted += 1
            else:
                refused[str(status)] += 1
        return accepted, refused


def total_likes(session: requests.Session, api_url: str) -> int:
    response = session.get(f"{api_url}/mysfits", timeout=30)
    response.raise_for_status()
    return sum(int(mysfit["likes"]) for mysfit in response.json()["mysfits"])


def wait_for_total(read_total: Callable[[], int], expected: int, timeout: float) -> int:
    """Poll until the counts reach `expected` (or pass it: a duplicate) or the timeout; the last total read."""
    deadline = time.monotonic() + timeout
    while (total := read_total()) < expected and time.monotonic() < deadline:
        time.sleep(POLL_SECONDS)
    return total
