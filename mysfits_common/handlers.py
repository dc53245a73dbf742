"""What a worker's handler promises the consumer loop (:mod:`mysfits_common.consumer`): per event
:class:`Handled` (its :class:`~mysfits_common.outcomes.Outcome` and log line), or the exception that
says what the failure means; and :class:`EachEvent`, which makes a handler of one event at a time
into a batch handler."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from mysfits_common.events import Event
from mysfits_common.outcomes import Outcome

__all__ = [
    "BatchHandler",
    "Busy",
    "EachEvent",
    "Handled",
    "Handler",
    "NotAuthorised",
    "PermanentError",
    "TransientError",
    "Unstarted",
]


class PermanentError(Exception):
    """The event can never succeed; retrying is pointless."""


class TransientError(Exception):
    """The event may succeed later (a dependency is down, slow or throttling)."""


class Busy(TransientError):
    """The event's item was busy (other writes to it, throttling) beyond what the monolith would wait:
    it may succeed in moments. The loop retries it while it holds the message, rather than giving the
    message back (each redelivery spends a receive of its budget before the DLQ)."""


class NotAuthorised(Exception):
    """The worker is not allowed to do its work (a wrong or rotated secret); nothing can succeed."""


class Unstarted(Exception):
    """Stop was requested before the event's handling began; the message goes back at once."""


@dataclass(frozen=True)
class Handled:
    """What a handler did with an event (processed, a duplicate, rejected); `message` is the log line
    (e.g. "Like processed.")."""

    outcome: Outcome
    message: str


Handler = Callable[[Event], Handled]
# Handles a whole receive at once (one downstream call per batch); per event id what it did or the
# exception that says what the failure means.
BatchHandler = Callable[[list[Event]], dict[str, "Handled | Exception"]]


class EachEvent:
    """A batch handler made of a per-event handler: ``concurrency`` events at a time, each settled
    on its own (a handler that raises fails only its event). Once ``stopping`` is set, events not
    yet started are not started (Unstarted): they go back to the queue at once."""

    def __init__(self, handler: Handler, concurrency: int = 10, stopping: threading.Event | None = None) -> None:
        self._handler = handler
        self._stopping = stopping or threading.Event()
        self._pool = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="handler")

    def __call__(self, events: list[Event]) -> dict[str, Handled | Exception]:
        futures = {event.event_id: self._pool.submit(self._handle, event) for event in events}
        return {event_id: future.result() for event_id, future in futures.items()}

    def close(self) -> None:
        """Wait for events being handled, and let the handler threads go."""
        self._pool.shutdown(wait=True)

    def _handle(self, event: Event) -> Handled | Exception:
        if self._stopping.is_set():
            return Unstarted()
        try:
            return self._handler(event)
        except Exception as error:  # the loop decides what the failure means
            return error
