"""Concurrent publishes of one process, sent together: up to ten events per PublishBatch request.

SNS bills a PublishBatch of up to ten messages as one request, so requests served at the same
time by one process share one. Each caller still waits for its own event and learns its own
result: the batcher never answers for an event that was not accepted, and never drops one.

- One request alone is sent at once: a batch lingers (a few milliseconds, for more to join) only
  while two or more are already waiting, that is when the process is busy.
- While a batch is in flight the next one fills up, so under load batches fill without lingering.
- The sending thread is started by the first publish in a process, never at import: a gunicorn
  worker forked from a master that had one starts its own.
- ``close()`` (gunicorn's ``worker_exit``, once the worker stopped taking requests) sends
  whatever is still waiting and stops the thread; a publish after it is sent by its caller.
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


@dataclass
class _Waiting:
    """One caller's event, and its result once the batch it went in was answered."""

    event: Event
    done: threading.Event = field(default_factory=threading.Event)
    error: PublishError | None = None


class BatchingPublisher(EventPublisher):
    """Wraps a publisher that can publish a batch; each publish returns once its own entry is accepted."""

    def __init__(
        self, target: EventPublisher, max_entries: int = MAX_BATCH_ENTRIES, linger_seconds: float = 0.005
    ) -> None:
        if not 1 <= max_entries <= MAX_BATCH_ENTRIES:
            raise ValueError(f"max_entries must be between 1 and {MAX_BATCH_ENTRIES}, not {max_entries}")
        self._target = target
        self._max_entries = max_entries
        self._linger_seconds = linger_seconds
        self._pid: int | None = None
        # Guards everything below. Never held across a fork: gunicorn forks from a master that does
        # not publish, and the sending thread (the other holder) does not exist in a child.
        self._changed = threading.Condition()
        self._reset()

    def _reset(self) -> None:
        """Fresh state for this process: a forked child has none of its parent's thread or waiting events."""
        self._waiting: deque[_Waiting] = deque()
        self._sender: threading.Thread | None = None
        self._closing = False
        self._closed = False

    def publish(self, event: Event) -> None:
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
        waiting.done.wait()
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
            sender = self._sender
        if sender is not None:
            sender.join()
        with self._changed:
            leftovers = list(self._waiting)
            self._waiting.clear()
            self._closed = True
        for start in range(0, len(leftovers), self._max_entries):
            self._send(leftovers[start : start + self._max_entries])

    def _started_in_this_process(self) -> None:
        """Start the sending thread on first use in this process (after a fork, again); holds the lock."""
        if self._pid == os.getpid():
            return
        self._reset()
        self._pid = os.getpid()
        self._sender = threading.Thread(target=self._run, name="publish-batcher", daemon=True)
        self._sender.start()

    def _run(self) -> None:
        while True:
            batch = self._next_batch()
            if batch is None:
                return
            self._send(batch)

    def _next_batch(self) -> list[_Waiting] | None:
        """The next batch to send, once there is one; None once closing and nothing is left."""
        with self._changed:
            while not self._waiting and not self._closing:
                self._changed.wait()
            if not self._waiting:
                return None
            # Two or more waiting means the process is busy: a few milliseconds may fill the batch.
            if 1 < len(self._waiting) < self._max_entries and not self._closing:
                deadline = time.monotonic() + self._linger_seconds
                while len(self._waiting) < self._max_entries and not self._closing:
                    remaining = deadline - time.monotonic()
                    if remaining <= 0:
                        break
                    self._changed.wait(remaining)
            count = min(len(self._waiting), self._max_entries)
            return [self._waiting.popleft() for _ in range(count)]

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
