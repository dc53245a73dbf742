"""Receives that overlap the handling of the batch before them, while the queue holds a backlog.

A consumer that receives, handles and deletes one batch at a time leaves SQS idle while the handler
works, and hands the monolith ten events per transaction at most. So while the loop hands one batch
to its handler, a prefetch goes on receiving on a thread of its own, into a buffer the loop takes
whole as its next batch, up to ``limit`` messages: under a backlog, batches grow to a transaction's
worth, and the receives cost no time of their own.

- It starts only after a full receive (a backlog is likely) and stops at the first receive that is
  not full: a lone message is never held back waiting for more.
- Its receives are short polls (``WaitTimeSeconds=0``): taking the buffer never waits out a long poll.
- What it receives is leased at once (the heartbeat keeps it invisible until it is handled).
- ``keep_going`` is asked before each receive: a stop, a refused secret or a pause ends it.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from mysfits_common.leases import Leases

__all__ = ["Prefetch"]

logger = logging.getLogger(__name__)


class Prefetch:
    def __init__(
        self,
        sqs_client: Any,
        request: dict[str, Any],
        leases: Leases,
        limit: int,
        keep_going: Callable[[], bool],
    ) -> None:
        """``request``: the loop's ReceiveMessage request (its wait is replaced by a short poll)."""
        self._sqs = sqs_client
        self._request = {**request, "WaitTimeSeconds": 0}
        self._batch_size = int(request["MaxNumberOfMessages"])
        self._leases = leases
        self._limit = limit
        self._keep_going = keep_going
        self._buffer: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._run, name="sqs-prefetch", daemon=True)

    def start(self) -> Prefetch:
        self._thread.start()
        return self

    def take(self) -> list[dict[str, Any]]:
        """End the prefetch (a receive in progress is a short poll: it answers at once) and return
        what it received, already leased."""
        self._done.set()
        self._thread.join()
        with self._lock:
            return list(self._buffer)

    def _run(self) -> None:
        while not self._done.is_set() and self._keep_going():
            with self._lock:
                room = self._limit - len(self._buffer)
            if room <= 0:
                return
            asked = min(self._batch_size, room)  # the last receive asks for what is left: the limit, not below
            try:
                answer = self._sqs.receive_message(**{**self._request, "MaxNumberOfMessages": asked})
            except (BotoCoreError, ClientError) as error:  # the loop's own receive will see it too
                logger.warning("Prefetch receive failed", extra={"error": str(error)})
                return
            messages = list(answer.get("Messages", []))
            self._leases.track(messages)
            with self._lock:
                self._buffer.extend(messages)
            if len(messages) < asked:
                return
