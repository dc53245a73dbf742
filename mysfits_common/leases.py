"""The messages a consumer holds: which are being handled, kept invisible by a heartbeat while they
are, then deleted or given a new visibility, ten to a call as SQS allows.

Every visibility change holds one lock, and the heartbeat reads which messages are in flight only
once it holds it. A message leaves the in-flight set before the loop sets its back-off (or returns
it), so an extension either lands before that or does not name the message: it can never undo a
back-off. Handler threads never wait for a call to SQS.
"""

from __future__ import annotations

import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from botocore.exceptions import BotoCoreError, ClientError

__all__ = ["Leases"]

logger = logging.getLogger(__name__)
T = TypeVar("T")

_PER_CALL = 10  # entries SQS takes in one batch call


def _in_batches(items: list[T]) -> list[list[T]]:
    """``items`` ten at a time, as SQS's batch calls take them."""
    return [items[start : start + _PER_CALL] for start in range(0, len(items), _PER_CALL)]


# botocore keeps 10 connections per client: the deletes leave room for the receives and the heartbeat.
_DELETES_AT_ONCE = 5


class Leases:
    def __init__(self, sqs_client: Any, queue_url: str, visibility_timeout: int, heartbeat_seconds: float) -> None:
        self._sqs = sqs_client
        self._queue_url = queue_url
        self._visibility_timeout = visibility_timeout
        self._heartbeat_seconds = heartbeat_seconds
        self._in_flight: dict[str, str] = {}  # MessageId -> ReceiptHandle, kept visible by the heartbeat
        self._in_flight_lock = threading.Lock()
        self._visibility_lock = threading.Lock()

    def track(self, messages: list[dict[str, Any]]) -> None:
        """These messages are being handled: the heartbeat keeps them invisible."""
        with self._in_flight_lock:
            self._in_flight.update({m["MessageId"]: m["ReceiptHandle"] for m in messages})

    def untrack(self, messages: list[dict[str, Any]]) -> None:
        with self._in_flight_lock:
            for message in messages:
                self._in_flight.pop(message["MessageId"], None)

    def delete(self, messages: list[dict[str, Any]]) -> None:
        """Delete the messages, ten to a call as SQS allows, several calls at once (a gathered batch
        of 88 is nine calls: two round trips, not nine); a failure is logged, not raised."""
        chunks = _in_batches(messages)
        with self._visibility_lock:  # no extension of a message in flight while it is deleted
            if len(chunks) == 1:
                self._delete_batch(chunks[0])
            elif chunks:
                workers = min(len(chunks), _DELETES_AT_ONCE)
                with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="sqs-delete") as pool:
                    list(pool.map(self._delete_batch, chunks))

    def _delete_batch(self, messages: list[dict[str, Any]]) -> None:
        entries = [{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)]
        try:
            response = self._sqs.delete_message_batch(QueueUrl=self._queue_url, Entries=entries)
        except (BotoCoreError, ClientError) as error:
            # Not fatal: they come back once their visibility ends, and their markers make them duplicates.
            logger.warning("Delete failed; the messages will be delivered again", extra={"error": str(error)})
            return
        for failure in response.get("Failed", []):
            logger.warning("Delete failed; the message will be delivered again", extra={"failure": failure})

    def set_visibility(self, changes: list[tuple[str, int]]) -> None:
        """Set the visibility timeout of each (receipt handle, seconds)."""
        with self._visibility_lock:
            self._change_visibility(changes)

    def heartbeat(self, closed: threading.Event) -> None:
        """Until ``closed`` is set, extend the visibility of messages still being handled, so that a
        slow one is not processed twice."""
        while not closed.wait(self._heartbeat_seconds):
            with self._visibility_lock:
                with self._in_flight_lock:
                    handles = list(self._in_flight.values())
                self._change_visibility([(handle, self._visibility_timeout) for handle in handles])

    def _change_visibility(self, changes: list[tuple[str, int]]) -> None:
        for batch in _in_batches(changes):
            entries = [
                {"Id": str(i), "ReceiptHandle": handle, "VisibilityTimeout": seconds}
                for i, (handle, seconds) in enumerate(batch)
            ]
            try:
                response = self._sqs.change_message_visibility_batch(QueueUrl=self._queue_url, Entries=entries)
            except (BotoCoreError, ClientError) as error:
                # Not fatal: a message comes back once its current visibility timeout ends.
                logger.warning("Could not change visibility", extra={"error": str(error)})
                continue
            if response.get("Failed"):
                logger.warning("Visibility change refused", extra={"failures": response["Failed"]})
