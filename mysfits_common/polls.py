"""One SQS long poll that a stop need not wait out.

A ``ReceiveMessage`` with ``WaitTimeSeconds=20`` holds its caller for up to 20 s when the queue is
empty, and a blocked socket read cannot be told to stop: an idle worker asked to stop (a deploy, a
scale-in) would wait out its poll. So the poll runs on a daemon thread of its own, and the loop
waits for whichever comes first, its answer or the stop. After a stop the loop still gives the
poll a moment (``GRACE_SECONDS``): a poll on a busy queue answers at once, and its messages are
returned as unstarted ones are. A poll that has not answered by then is abandoned: if it still
receives, its thread returns what it got to the queue at once (visibility 0). If the process has
ended first (the usual case: a worker exits as soon as its loop ends), the queue makes those
messages visible again when their visibility timeout ends, as for any receiver that died: late by
that timeout, one receive more, never lost. That happens to a message sent to an idle queue while
the abandoned poll would still have waited (up to ``WaitTimeSeconds`` after the stop), and to a
busy queue's messages when the receive itself is slow at the stop (a slow connection, botocore's
retries).
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from mysfits_common.leases import Leases

__all__ = ["Poll"]

logger = logging.getLogger(__name__)

GRACE_SECONDS = 0.5  # a poll of a queue holding messages answers in milliseconds


class Poll:
    """A ``receive_message`` call on its own thread; ``wake`` is set when it answers."""

    def __init__(self, sqs_client: Any, request: dict[str, Any], wake: threading.Event, leases: Leases) -> None:
        self._sqs = sqs_client
        self._request = request
        self._wake = wake
        self._leases = leases  # returns what an abandoned poll receives
        self._lock = threading.Lock()
        self._answer: dict[str, Any] | Exception | None = None
        self._answered = threading.Event()
        self._abandoned = False

    def start(self) -> Poll:
        threading.Thread(target=self._receive, name="sqs-receive", daemon=True).start()
        return self

    def wait(self, seconds: float) -> None:
        self._answered.wait(seconds)

    def answer_or_abandon(self) -> dict[str, Any] | Exception | None:
        """The poll's answer (a response or the error it raised); None if it has not answered yet,
        in which case it is abandoned: what it receives later goes back to the queue."""
        with self._lock:
            self._abandoned = self._answer is None
            return self._answer

    def _receive(self) -> None:
        answer: dict[str, Any] | Exception = RuntimeError("the receive ended without an answer")
        try:
            answer = self._sqs.receive_message(**self._request)
        except Exception as error:  # handed to the loop, which decides what a failed receive means
            answer = error
        finally:  # whatever ended it, the loop must not wait for an answer that never comes
            with self._lock:
                self._answer = answer
                abandoned = self._abandoned
            self._answered.set()
            self._wake.set()
        if abandoned and isinstance(answer, dict) and answer.get("Messages"):
            logger.info("Returned unstarted: stopping", extra={"messages": len(answer["Messages"])})
            # Leases logs a failure; the visibility timeout then returns them instead.
            self._leases.set_visibility([(message["ReceiptHandle"], 0) for message in answer["Messages"]])
