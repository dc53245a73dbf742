"""The SQS consumer loop both workers run: one processor around a batch handler.

The loop hands each receive's valid events to a batch handler in one call (the like worker sends a
whole batch to the monolith at once); a handler that works one event at a time is made a batch
handler by :class:`~mysfits_common.handlers.EachEvent`, which runs it ``concurrency`` events at a time. Per event the
handler returns what it did (Handled) or the exception that says what the failure means; the loop
decides what that means for the message, and counts the event under its Outcome:

- success: the message is deleted (in one batch call per receive);
- TransientError or any unexpected exception: the message stays, its visibility is set to an
  exponential back-off, and the queue's redrive policy ends the retries;
- PermanentError or an invalid event (a poison message): the message is made visible again at
  once, so the redrive policy moves it to the DLQ after maxReceiveCount receives, never looping;
- Unstarted (stop was requested before the event's handling began): the message is returned at
  once, for another worker;
- Busy (the event's item stayed busy: contention, throttling): retried in the loop, after a
  jittered pause, while the message is held (the heartbeat keeps it invisible), for up to
  ``busy_retry_seconds``; only then, or at a stop, is it backed off like a TransientError. A
  redelivery would spend a receive, and contention alone must never send a healthy event to the DLQ;
- NotAuthorised (the monolith refuses the worker's credentials: a wrong or rotated secret): no
  message can succeed, so the loop stops receiving (the messages stay in the queue and keep their
  receive counts), says so in its log and its health file, and resumes once its probe says it is
  authorised again (the secret re-read from its source).

The loop probes authorisation before its first receive: a worker started with a wrong secret (or
one the monolith cannot yet confirm: no answer, a 5xx) receives nothing, so a task that the health
check replaces again and again charges no message a receive.
"""

from __future__ import annotations

import logging
import os
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from mysfits_common.events import Event, InvalidEvent, parse_event
from mysfits_common.handlers import (
    BatchHandler,
    Busy,
    Handled,
    NotAuthorised,
    PermanentError,
    TransientError,
    Unstarted,
)
from mysfits_common.leases import Leases
from mysfits_common.metrics import BatchCounts, WorkerMetrics
from mysfits_common.outcomes import Outcome
from mysfits_common.polls import Poll, answer_within
from mysfits_common.prefetch import Prefetch

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ConsumerSettings:
    queue_url: str
    batch_size: int = 10
    wait_seconds: int = 20
    visibility_timeout: int = 30
    backoff_base_seconds: int = 2
    backoff_max_seconds: int = 300
    pause_max_seconds: float = 30.0
    heartbeat_seconds: float = 10.0
    idle_pause_seconds: float = 1.0
    health_file: str | None = None
    auth_retry_seconds: float = 15.0  # how often a worker that is not authorised probes again
    busy_retry_seconds: float = 60.0  # how long a busy event is retried while its message is held
    busy_pause_seconds: float = 0.2  # the first pause between those retries (doubling, jittered)
    # Messages handed to the handler at once: above batch_size, receives overlap the handling of the
    # batch before them while a backlog lasts (mysfits_common.prefetch), up to this many.
    gather_max: int = 10


class Consumer:
    def __init__(
        self,
        sqs_client: Any,
        settings: ConsumerSettings,
        handler: BatchHandler,
        *,
        authorised: Callable[[], bool] | None = None,
        stopping: threading.Event | None = None,
        metrics: WorkerMetrics | None = None,
    ) -> None:
        """``stopping`` is the stop signal, shared with an EachEvent handler so that stop() also
        keeps it from starting events; ``authorised`` probes whether the monolith accepts the
        worker's credentials again; ``metrics`` gets one line per batch (mysfits_common.metrics)."""
        self._sqs = sqs_client
        self._settings = settings
        self._handler = handler
        self._authorised = authorised or (lambda: True)
        self._not_authorised: str | None = None  # why, while the monolith refuses our credentials
        self._refused = False  # the monolith said no (401/403), rather than could not be asked
        self._stopping = stopping or threading.Event()
        self._wake = threading.Event()  # a poll answered, or stop() was called
        self._leases = Leases(sqs_client, settings.queue_url, settings.visibility_timeout, settings.heartbeat_seconds)
        self._closed = threading.Event()
        self._failed_batches = 0
        self._pause_seconds = 0.0
        self._metrics = metrics

    def stop(self) -> None:
        """Stop receiving; messages already being handled finish, the unstarted ones go back. A long
        poll in progress is let answer, and what it received goes back at once (mysfits_common.polls)."""
        self._stopping.set()
        self._wake.set()

    @property
    def not_authorised(self) -> str | None:
        """Why the loop stopped receiving (the monolith refused its credentials), or None."""
        return self._not_authorised

    @property
    def pause_seconds(self) -> float:
        """How long the loop pauses before its next receive (0 unless whole batches keep failing)."""
        return self._pause_seconds

    def run(self) -> None:
        """Poll until stop() is called, then drain and return."""
        heartbeat = threading.Thread(
            target=self._leases.heartbeat, args=(self._closed,), name="visibility-heartbeat", daemon=True
        )
        heartbeat.start()
        logger.info("Consumer started", extra={"queueUrl": self._settings.queue_url})
        prefetch: Prefetch | None = None
        try:
            self._probe_authorisation()
            while True:
                if prefetch is not None:  # what was received while the last batch was handled
                    messages, prefetch = prefetch.take(), None
                elif self._stopping.is_set():
                    break
                elif self._not_authorised is not None:
                    self._wait_until_authorised()
                    continue
                else:
                    self._touch_health_file()
                    if self._metrics is not None:
                        self._metrics.polled()
                    try:
                        messages = self._receive()
                    except (BotoCoreError, ClientError) as error:
                        logger.warning("Receive failed; retrying", extra={"error": str(error)})
                        self._stopping.wait(self._settings.idle_pause_seconds)
                        continue
                if messages:
                    prefetch = self._prefetch_beside(messages)
                    self.process_batch(messages)
                if self._pause_seconds and prefetch is None:
                    logger.warning("Every message of the batch failed; pausing", extra={"pause": self._pause_seconds})
                    self._stopping.wait(self._pause_seconds)
        finally:
            self._closed.set()
            logger.info("Consumer stopped", extra={"queueUrl": self._settings.queue_url})

    def _wait_until_authorised(self) -> None:
        """Receive nothing for a while, then probe; say so in the log and the health file meanwhile.

        A refusal fails the health check (a task with a wrong secret is replaced); a monolith that
        cannot be asked does not (a new task would fare no better), and is asked again sooner."""
        reason = self._not_authorised
        if self._refused:
            logger.error(
                "Not authorised by the monolith: receiving stopped, messages stay in the queue; "
                "fix the fulfil secret (it is re-read from its source)",
                extra={"error": reason, "retryIn": self._settings.auth_retry_seconds},
            )
            self._touch_health_file(f"not authorised: {reason}")
            pause = self._settings.auth_retry_seconds
        else:
            logger.warning("Authorisation unknown: receiving waits for the monolith", extra={"error": reason})
            self._touch_health_file()
            pause = self._settings.idle_pause_seconds
        if self._stopping.wait(pause):
            return
        was_refused = self._refused
        self._probe_authorisation()
        if self._not_authorised is None and was_refused:
            logger.warning("Authorised again: receiving resumes")

    def _probe_authorisation(self) -> None:
        """Ask the monolith whether it accepts this worker; receiving waits unless it says yes."""
        try:
            authorised = self._authorised()
        except Exception as error:  # the probe itself failed: not known to be authorised
            self._not_authorised, self._refused = f"the authorisation probe failed: {error}", False
            return
        if authorised:
            self._not_authorised, self._refused = None, False
        else:
            self._not_authorised, self._refused = "the monolith refuses the fulfil secret", True

    def _prefetch_beside(self, messages: list[dict[str, Any]]) -> Prefetch | None:
        """Receives to overlap the handling of ``messages``, if they came as a full receive (a backlog)."""
        if self._settings.gather_max <= self._settings.batch_size or len(messages) < self._settings.batch_size:
            return None
        if self._stopping.is_set():
            return None
        return Prefetch(
            self._sqs,
            self._receive_request(),
            self._leases,
            self._settings.gather_max,
            keep_going=lambda: not self._stopping.is_set() and self._not_authorised is None and not self._pause_seconds,
        ).start()

    def poll_once(self) -> int:
        """Receive one batch and process it; return how many messages were received (none when
        stop() came before the poll's answer)."""
        messages = self._receive()
        if messages:
            self.process_batch(messages)
        return len(messages)

    def _receive(self) -> list[dict[str, Any]]:
        self._wake.clear()
        if self._stopping.is_set():
            return []
        request = self._receive_request()
        poll = Poll(self._sqs, request, self._wake, self._leases).start()
        self._wake.wait()
        if self._stopping.is_set():
            poll.wait(answer_within(request))
        answer = poll.answer_or_abandon()
        if isinstance(answer, Exception):
            raise answer
        return [] if answer is None else list(answer.get("Messages", []))

    def _receive_request(self) -> dict[str, Any]:
        return {
            "QueueUrl": self._settings.queue_url,
            "MaxNumberOfMessages": self._settings.batch_size,
            "WaitTimeSeconds": self._settings.wait_seconds,
            "VisibilityTimeout": self._settings.visibility_timeout,
            "MessageSystemAttributeNames": ["ApproximateReceiveCount"],
        }

    def process_batch(self, messages: list[dict[str, Any]]) -> None:
        results = self._process(messages)
        self._leases.delete([message for message, result in zip(messages, results, strict=True) if result is None])
        self._leases.set_visibility(
            [(m["ReceiptHandle"], result) for m, result in zip(messages, results, strict=True) if result is not None]
        )
        self._note_batch(results)

    def _note_batch(self, results: list[int | None]) -> None:
        """A batch that failed transiently as a whole means a dependency is down: pause polling."""
        if self._not_authorised is not None:
            self._failed_batches, self._pause_seconds = 0, 0.0  # the loop waits for authorisation instead
        elif results and all(result is not None and result > 0 for result in results):
            self._failed_batches += 1
            self._pause_seconds = min(
                self._settings.backoff_base_seconds * 2 ** (self._failed_batches - 1),
                self._settings.pause_max_seconds,
            )
        else:
            self._failed_batches, self._pause_seconds = 0, 0.0

    def _process(self, messages: list[dict[str, Any]]) -> list[int | None]:
        """Hand the batch's valid events to the handler in one call; per message, None to delete it,
        else the seconds until it is visible again.

        0 is for messages that are returned at once: poison ones, so that the redrive policy moves
        them to the DLQ quickly, and unstarted ones once stop() was called.
        """
        counts = BatchCounts()
        if self._stopping.is_set():
            self._leases.untrack(messages)  # prefetched ones were leased on receipt
            logger.info("Returned unstarted: stopping", extra={"messages": len(messages)})
            counts.add(Outcome.RETRIED, len(messages))
            self._count(counts, 0.0)
            return [0] * len(messages)
        started = time.monotonic()
        events: dict[int, Event] = {}
        results: list[int | None] = [0] * len(messages)
        for index, message in enumerate(messages):
            try:
                events[index] = parse_event(message.get("Body", ""))
            except InvalidEvent as error:
                results[index] = self._settle(message, None, error, started, counts)
        self._leases.track(messages)
        try:
            handled = self._handle(list(events.values()))
            self._retry_busy(list(events.values()), handled)
        finally:
            self._leases.untrack(messages)
        for index, event in events.items():
            result = handled.get(event.event_id, TransientError("the batch handler gave no result"))
            results[index] = self._settle(messages[index], event, result, started, counts)
        self._count(counts, (time.monotonic() - started) * 1000)
        return results

    def _handle(self, events: list[Event]) -> dict[str, Handled | Exception]:
        if not events:
            return {}
        try:
            return self._handler(events)
        except Exception as error:  # the whole batch failed: each message is retried
            return dict.fromkeys((event.event_id for event in events), error)

    def _retry_busy(self, events: list[Event], handled: dict[str, Handled | Exception]) -> None:
        """Hand the events whose items were busy to the handler again, after jittered pauses, while
        the messages are held, until none is busy, ``busy_retry_seconds`` have passed, or a stop."""
        give_up_at = time.monotonic() + self._settings.busy_retry_seconds
        pause = self._settings.busy_pause_seconds
        while True:
            busy = [event for event in events if isinstance(handled.get(event.event_id), Busy)]
            if not busy or time.monotonic() + pause > give_up_at:
                return
            # Full jitter: workers that collided on one item do not come back at the same moment.
            if self._stopping.wait(random.uniform(pause / 2, pause)):
                return
            logger.info("Item busy; retrying while the messages are held", extra={"events": len(busy)})
            handled.update(self._handle(busy))
            pause = min(pause * 2, 5.0)

    def _count(self, counts: BatchCounts, handling_ms: float) -> None:
        if self._metrics is not None:
            counts.handling_ms = handling_ms
            self._metrics.batch(counts)

    def _settle(
        self,
        message: dict[str, Any],
        event: Event | None,
        result: Handled | Exception,
        started: float,
        counts: BatchCounts,
    ) -> int | None:
        """Log what happened to the message (one line), count it, and say whether to delete or retry it."""
        counts.add(_outcome_of(result))
        receive_count = int(message.get("Attributes", {}).get("ApproximateReceiveCount", "1"))
        fields: dict[str, Any] = {"messageId": message["MessageId"], "receiveCount": receive_count}
        if event is not None:
            fields.update(eventId=event.event_id, correlationId=event.correlation_id,
                          eventType=event.event_type, mysfitId=event.mysfit_id)
        if isinstance(result, Handled):
            duration_ms = round((time.monotonic() - started) * 1000, 1)
            logger.info(result.message, extra={**fields, "outcome": result.outcome, "durationMs": duration_ms})
            return None
        if isinstance(result, Unstarted):
            logger.info("Returned unstarted: stopping", extra=fields)
            return 0
        if isinstance(result, InvalidEvent | PermanentError):
            logger.error("Poison message left to the redrive policy", extra={**fields, "error": str(result)})
            if self._metrics is not None:
                self._metrics.failed(message["MessageId"], str(result))
            return 0
        delay = self._backoff(receive_count)
        if isinstance(result, NotAuthorised):
            self._not_authorised, self._refused = str(result), True
            logger.error("Not authorised; the message stays in the queue", extra={**fields, "error": str(result)})
            return delay
        extra = {**fields, "error": str(result), "retryIn": delay}
        if isinstance(result, TransientError):
            logger.warning("Processing failed; retrying later", extra=extra)
        else:
            logger.error("Processing failed; retrying later", extra=extra, exc_info=result)
        return delay

    def _backoff(self, receive_count: int) -> int:
        delay = self._settings.backoff_base_seconds * 2 ** max(receive_count - 1, 0)
        return int(min(delay, self._settings.backoff_max_seconds))

    def _touch_health_file(self, problem: str = "") -> None:
        """Mark the loop alive; a problem written in the file makes the health check fail with it.

        Written beside it and renamed over it, so that a health check never reads it half written.
        """
        if self._settings.health_file:
            path = Path(self._settings.health_file)
            staged = path.with_name(f".{path.name}.new")
            staged.write_text(problem, encoding="utf-8")
            os.replace(staged, path)


def _outcome_of(result: Handled | Exception) -> Outcome:
    """What became of an event, by what the handler did or the failure's meaning for its message."""
    if isinstance(result, Handled):
        return result.outcome
    if isinstance(result, InvalidEvent | PermanentError):
        return Outcome.FAILED
    return Outcome.RETRIED
