"""The chaos run's load: likes and bursts of rival adoptions, sent as a careful client sends them,
and the ledger of every logical request, attempt by attempt.

A logical request carries a new ``Idempotency-Key`` (and the same value as its ``X-Correlation-Id``,
so that the events it published can be told apart in the audit queue). After a 5xx, a timeout or a
connection error it is sent again with the same key, after a short back-off (or the server's
``Retry-After``, if longer), a bounded number of times. What its client finally knows is its answer:
accepted (a 202 and its eventId), refused (a 4xx), unavailable (a 503 or no connection, every
attempt, so nothing was published), or ambiguous (an attempt timed out or lost its connection: the
client cannot know whether an event was published).
"""

from __future__ import annotations

import enum
import random
import threading
import time
import uuid
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import requests
from urllib3.exceptions import NewConnectionError

from mysfits_common.events import CORRELATION_HEADER, IDEMPOTENCY_HEADER

__all__ = ["Answer", "Attempt", "Burst", "Ledger", "Load", "Request", "RetryingClient"]

REFUSED, TIMEOUT, RESET = "connection refused", "timeout", "connection lost"


class Answer(enum.StrEnum):
    ACCEPTED = "accepted"
    REFUSED = "refused"
    UNAVAILABLE = "unavailable"
    AMBIGUOUS = "ambiguous"


@dataclass(frozen=True)
class Attempt:
    started: float  # seconds since the run began
    seconds: float
    status: int | None = None
    error: str | None = None  # REFUSED, TIMEOUT or RESET when no status came back
    event_id: str | None = None

    @property
    def ambiguous(self) -> bool:
        """No answer, and the request may have reached the monolith."""
        return self.error in (TIMEOUT, RESET) or (self.status is not None and self.status >= 500 and self.status != 503)

    @property
    def retryable(self) -> bool:
        return self.error is not None or (self.status is not None and self.status >= 500)

    def __str__(self) -> str:
        return f"+{self.started:.1f}s {self.status or self.error} in {self.seconds:.2f}s"


@dataclass
class Request:
    """One logical request: what the user asked once, however many times it was sent."""

    kind: str  # "like" or "adopt"
    mysfit_id: str
    key: str
    attempts: list[Attempt] = field(default_factory=list)

    @property
    def started(self) -> float:
        return self.attempts[0].started

    @property
    def seconds(self) -> float:
        last = self.attempts[-1]
        return last.started + last.seconds - self.started

    @property
    def event_id(self) -> str | None:
        return self.attempts[-1].event_id

    @property
    def answer(self) -> Answer:
        last = self.attempts[-1]
        if last.status == 202:
            return Answer.ACCEPTED
        if last.status is not None and last.status < 500:
            return Answer.REFUSED
        if any(attempt.ambiguous for attempt in self.attempts):
            return Answer.AMBIGUOUS
        return Answer.UNAVAILABLE

    @property
    def maybe_published(self) -> bool:
        """Whether an event of this request may exist: accepted, an attempt without an answer, or a 503
        (the monolith answers 503 when its budget ends with the publish still in flight, which may land)."""
        return self.answer is Answer.ACCEPTED or any(a.ambiguous or a.status == 503 for a in self.attempts)

    def __str__(self) -> str:
        attempts = "; ".join(str(attempt) for attempt in self.attempts)
        return f"{self.kind} {self.mysfit_id} key {self.key}: {self.answer} [{attempts}]"


class Ledger:
    """Every logical request of the run, safe to add to from the load's threads."""

    def __init__(self) -> None:
        self._requests: list[Request] = []
        self._lock = threading.Lock()

    def add(self, request: Request) -> None:
        with self._lock:
            self._requests.append(request)

    @property
    def requests(self) -> list[Request]:
        with self._lock:
            return list(self._requests)

    def of_kind(self, kind: str) -> list[Request]:
        return [request for request in self.requests if request.kind == kind]

    def accepted_event_ids(self, kind: str) -> dict[str, Request]:
        return {r.event_id: r for r in self.of_kind(kind) if r.answer is Answer.ACCEPTED and r.event_id}

    def by_key(self) -> dict[str, Request]:
        return {request.key: request for request in self.requests}


class RetryingClient:
    """POSTs a like or an adoption as one logical request, retried with its key."""

    def __init__(self, api_url: str, origin: float, attempts: int = 6, timeout: float = 30.0,
                 backoff_base: float = 0.5, backoff_max: float = 4.0) -> None:
        self.api_url = api_url
        self.origin = origin  # time.monotonic() when the run began
        self.attempts = attempts
        self.timeout = timeout
        self.backoff_base = backoff_base
        self.backoff_max = backoff_max

    def send(self, kind: str, mysfit_id: str) -> Request:
        request = Request(kind, mysfit_id, str(uuid.uuid4()))
        headers = {IDEMPOTENCY_HEADER: request.key, CORRELATION_HEADER: request.key}
        for number in range(self.attempts):
            attempt, retry_after = self._attempt(f"{self.api_url}/mysfits/{mysfit_id}/{kind}", headers)
            request.attempts.append(attempt)
            if not attempt.retryable or number == self.attempts - 1:
                break
            backoff = min(self.backoff_base * 2**number, self.backoff_max)
            time.sleep(min(max(backoff, retry_after), self.backoff_max) * random.uniform(0.8, 1.2))
        return request

    def _attempt(self, url: str, headers: dict[str, str]) -> tuple[Attempt, float]:
        started = time.monotonic()

        def attempt(status: int | None = None, error: str | None = None, event_id: str | None = None) -> Attempt:
            seconds = round(time.monotonic() - started, 3)
            return Attempt(round(started - self.origin, 3), seconds, status, error, event_id)

        try:
            # A new connection each time: a kept-alive one to a replaced monolith fails for no reason of its own.
            response = requests.post(url, headers=headers, timeout=self.timeout)
        except requests.ConnectTimeout:
            return attempt(error=REFUSED), 0.0
        except requests.Timeout:
            return attempt(error=TIMEOUT), 0.0
        except requests.ConnectionError as error:
            reason = getattr(error.args[0], "reason", None) if error.args else None
            return attempt(error=REFUSED if isinstance(reason, NewConnectionError) else RESET), 0.0
        event_id = response.json().get("eventId") if response.status_code == 202 else None
        retry_after = response.headers.get("Retry-After", "")
        return attempt(response.status_code, event_id=event_id), float(retry_after) if retry_after.isdigit() else 0.0


@dataclass(frozen=True)
class Burst:
    at: float  # seconds since the run began
    mysfit_id: str
    rivals: int


class Load:
    """Likes at a steady rate over ``like_targets`` and bursts of rival adoptions, until stopped; at most
    ``max_in_flight`` logical requests at once (when the system stalls, the load waits with it)."""

    def __init__(self, client: RetryingClient, ledger: Ledger, like_targets: list[str], likes_per_second: float,
                 bursts: Iterable[Burst], seed: int, max_in_flight: int = 64) -> None:
        self.client = client
        self.ledger = ledger
        self.like_targets = like_targets
        self.likes_per_second = likes_per_second
        self.bursts = sorted(bursts, key=lambda burst: burst.at)
        self._rng = random.Random(seed)
        self._slots = threading.BoundedSemaphore(max_in_flight)
        self._pool = ThreadPoolExecutor(max_workers=max_in_flight, thread_name_prefix="chaos-load")
        self._stopping = threading.Event()
        self._dispatcher = threading.Thread(target=self._dispatch, name="chaos-dispatch", daemon=True)

    def start(self) -> Load:
        self._dispatcher.start()
        return self

    def stop(self) -> None:
        """Send nothing new; wait for every logical request under way to get its final answer."""
        self._stopping.set()
        self._dispatcher.join()
        self._pool.shutdown(wait=True)

    def _dispatch(self) -> None:
        bursts = list(self.bursts)
        sent = 0
        while not self._stopping.is_set():
            now = time.monotonic() - self.client.origin
            while bursts and bursts[0].at <= now:
                burst = bursts.pop(0)
                for _ in range(burst.rivals):
                    self._submit("adopt", burst.mysfit_id)
            due = sent / self.likes_per_second
            if due < now - 1:  # held up by a stalled system: go on at the rate, no catching up in a rush
                sent = int(now * self.likes_per_second)
            elif due <= now:
                self._submit("like", self._rng.choice(self.like_targets))
                sent += 1
            else:
                self._stopping.wait(min(due - now, 0.05))

    def _submit(self, kind: str, mysfit_id: str) -> None:
        self._slots.acquire()

        def send() -> None:
            try:
                self.ledger.add(self.client.send(kind, mysfit_id))
            finally:
                self._slots.release()

        self._pool.submit(send)
