"""Concurrent publishes of one process, sent together: up to ten events per PublishBatch request.

SNS bills a PublishBatch of up to ten messages as one request, so requests served at the same
time by one process share one. Each caller still waits for its own event and learns its own
result: the batcher never answers for an event that was not accepted, and never drops one.

- One request alone is sent at once: a batch lingers (a few milliseconds, for more to join) only
  while two or more are already waiting, that is when the process is busy.
- While a batch is in flight the next one fills up, so under load batches fill without lingering.
- Several batches may be in flight (``max_in_flight``), but a new one starts beside another only
  once that one has been in flight ``stall_seconds`` (SNS answers in milliseconds when healthy): a
  slow SNS delays a request by one batch's answer, not by every batch queued ahead of it.
- A caller waits at most ``timeout`` seconds (its request's remaining budget): an event still
  waiting then is taken out and never sent (a clear 503); one already in flight may still be
  published after its caller heard 503, which the request's ``Idempotency-Key`` makes safe to retry.
- The sending threads are started by the first publish in a process, never at import: a gunicorn
  worker forked from a master that had them starts its own.
- ``close()`` (gunicorn's ``worker_exit``, once the worker stopped taking requests) sends
  whatever is still waiting and stops the threads; a publish after it is sent by its caller.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field

from mysfits_common.events import Event, validate_envelope
from mysfits_common.publisher import MAX_BATCH_ENTRIES, EventPublisher, PublishError

logger = logging.getLogger(__name__)


@dataclass(eq=False)  # each caller's own: found and removed by identity
class _Waiting:
    """One caller's event, and its result once the batch it went in was answered."""

    event: Event
    done: threading.Event = field(default_factory=threading.Event)
    error: PublishError | None = None


class BatchingPublisher(EventPublisher):
    """Wraps a publisher that can publish a batch; each publish returns once its own entry is accepted."""

    def __init__(
        self,
        target: EventPublisher,
        max_entries: int = MAX_BATCH_ENTRIES,
        linger_seconds: float = 0.005,
        *,
        max_in_flight: int = 4,
        stall_seconds: float = 0.25,
    ) -> None:
        if not 1 <= max_entries <= MAX_BATCH_ENTRIES:
            raise ValueError(f"max_entries must be between 1 and {MAX_BATCH_ENTRIES}, not {max_entries}")
        self._target = target
        self._max_entries = max_entries
        self._linger_seconds = linger_seconds
        self._max_in_flight = max_in_flight
        self._stall_seconds = stall_seconds
        self._pid: int | None = None
        # Guards everything below. Never held across a fork: gunicorn forks from a master that does
        # not publish, and the sending thread (the other holder) does not exist in a child.
        self._changed = threading.Condition()
        self._reset()

    def _reset(self) -> None:
        """Fresh state for this process: a forked child has none of its parent's thread or waiting events."""
        self._waiting: deque[_Waiting] = deque()
        self._senders: list[threading.Thread] = []
        self._in_flight = 0
        self._last_taken = 0.0  # when the latest batch was taken to be sent (monotonic)
        self._closing = False
        self._closed = False

    def publish(self, event: Event, timeout: float | None = None) -> None:
        validate_envelope(event.to_message())
        waiting = _Waiting(event)
        with self._changed:
            self._started_in_this_process()
            if self._closed:
                queued = False
            else:
                self._waiting.append(waiting)
                self._changed.notify_all()
                queued = True
        if not queued:
            self._send([waiting])
        if not waiting.done.wait(timeout):
            with self._changed:
                unsent = waiting in self._waiting
                if unsent:
                    self._waiting.remove(waiting)
            if unsent:
                raise PublishError(f"not published within {timeout:.1f} s: SNS is slow; it was not sent")
            if not waiting.done.is_set():
                raise PublishError(f"SNS did not answer within {timeout:.1f} s; the event may still be published")
        if waiting.error is not None:
            raise waiting.error

    @property
    def waiting(self) -> int:
        """How many events wait for a batch (those in the batch being sent are not counted)."""
        with self._changed:
            return len(self._waiting)

    def publish_batch(self, events: Sequence[Event]) -> dict[str, PublishError | None]:
        return self._target.publish_batch(events)

    def ping(self) -> None:
        self._target.ping()

    def close(self) -> None:
        """Send every event still waiting, then stop the sending thread; safe to call twice."""
        with self._changed:
            if self._pid != os.getpid():  # nothing was started in this process: later publishes go straight out
                self._reset()
                self._pid = os.getpid()
                self._closed = True
                return
            self._closing = True
            self._changed.notify_all()
            senders = list(self._senders)
        for sender in senders:
            sender.join()
        with self._changed:
            leftovers = list(self._waiting)
            self._waiting.clear()
            self._closed = True
        for start in range(0, len(leftovers), self._max_entries):
            self._send(leftovers[start : start + self._max_entries])

    def _started_in_this_process(self) -> None:
        """Start the sending threads on first use in this process (after a fork, again); holds the lock."""
        if self._pid == os.getpid():
            return
        self._reset()
        self._pid = os.getpid()
        for _ in range(self._max_in_flight):
            sender = threading.Thread(target=self._run, name="publish-batcher", daemon=True)
            sender.start()
            self._senders.append(sender)

    def _run(self) -> None:
        while True:
            batch = self._next_batch()
            if batch is None:
                return
            try:
                self._send(batch)
            finally:
                with self._changed:
                    self._in_flight -= 1
                    self._changed.notify_all()

    def _may_take(self) -> bool:
        """A batch may go when none is in flight, or the latest has been out ``stall_seconds``; holds the lock."""
        if self._in_flight == 0 or self._closing:
            return True
        return self._in_flight < self._max_in_flight and self._stalled_for() <= 0

    def _stalled_for(self) -> float:
        """Seconds until the latest batch in flight counts as stalled (0 or less: it does)."""
        return self._last_taken + self._stall_seconds - time.monotonic()

    def _next_batch(self) -> list[_Waiting] | None:
        """The next batch to send, once there is one; None once closing and nothing is left."""
        with self._changed:
            while True:
                while not (self._waiting and self._may_take()) and not (self._closing and not self._waiting):
                    waiting_for_stall = self._waiting and self._in_flight < self._max_in_flight
                    self._changed.wait(max(self._stalled_for(), 0.001) if waiting_for_stall else None)
                if not self._waiting:
                    return None
                # Counted in flight from now: another sender waits for this batch to stall, not to linger.
                self._in_flight += 1
                self._last_taken = time.monotonic()
                self._linger()
                count = min(len(self._waiting), self._max_entries)
                if count:
                    return [self._waiting.popleft() for _ in range(count)]
                self._in_flight -= 1  # its callers gave up while it lingered

    def _linger(self) -> None:
        """Two or more waiting means the process is busy: a few milliseconds may fill the batch; holds the lock."""
        if 1 < len(self._waiting) < self._max_entries and not self._closing:
            deadline = time.monotonic() + self._linger_seconds
            while 0 < len(self._waiting) < self._max_entries and not self._closing:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                self._changed.wait(remaining)

    def _send(self, batch: list[_Waiting]) -> None:
        """Publish the batch and hand each caller its own result; an error fails the whole batch."""
        try:
            results = self._target.publish_batch([waiting.event for waiting in batch])
        except Exception as error:  # the caller must hear something: never leave one waiting
            logger.error("Publishing a batch failed", extra={"entries": len(batch), "error": str(error)})
            results = {waiting.event.event_id: PublishError(f"could not publish: {error}") for waiting in batch}
        for waiting in batch:
            waiting.error = results.get(waiting.event.event_id, PublishError("no result for the event"))
            waiting.done.set()
