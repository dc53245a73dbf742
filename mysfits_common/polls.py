"""One SQS long poll, which a stop lets answer rather than abandon.

A ``ReceiveMessage`` with ``WaitTimeSeconds=20`` holds its caller for up to 20 s when the queue is
empty, and neither the client nor the server can cancel it: a poll whose client goes away is still
open at SQS, and a message sent meanwhile is received by it and stays invisible for the visibility
timeout, late by that timeout after every deploy and scale-in (seen: 30.5 s for the first like after
a restart). So the poll runs on a daemon thread of its own, and a stopping loop waits for its answer
(at most the poll's wait, ``answer_within``: a Fargate task has 90 s to stop) and returns what it
got at once, as unstarted messages are returned. Only a poll that has not answered by then (a
receive that hangs) is abandoned: if it still receives, its thread returns what it got; if the
process has ended first, those messages come back when their visibility timeout ends, one receive
more, never lost.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from mysfits_common.leases import Leases

__all__ = ["Poll"]

logger = logging.getLogger(__name__)

GRACE_SECONDS = 2.0  # beyond its wait, for the answer of a poll to come back


def answer_within(request: dict[str, Any]) -> float:
    """How long a stopping loop waits for its poll: the poll's own wait, and a grace for the answer."""
    return float(request.get("WaitTimeSeconds", 0)) + GRACE_SECONDS


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
