"""SQS in moto, made to behave like SQS and to cost per message what SQS's API suggests.

- ``SetQueueAttributes`` changes only the attributes it is given. moto set the queue's policy to
  whatever the request carried, so any call without ``Policy`` (a new visibility timeout, a
  redrive policy) silently removed the policy that lets SNS deliver to the queue.
- A queue's attributes are computed when read, one by one. moto computed all of them, the three
  approximate message counts included (each a pass over every message in the queue), whenever
  any one was needed: for every message sent (to read ``ContentBasedDeduplication``) and three
  times for every message received (to read ``MessageRetentionPeriod``). A queue with a backlog
  got slower with every message in it.
- A receive looks at messages until it has found its ``MaxNumberOfMessages`` (those in flight
  before them skipped), and a delete or a visibility change finds its message by receipt handle.
  moto listed every visible message of the queue for each receive and walked the whole queue, in
  Python, twice for each message deleted and once for each visibility change: from a backlog of
  2,000 likes, the drain spent its time there, not in the calls a queue on AWS costs.
"""

from __future__ import annotations

import json
import weakref
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from moto.core.utils import camelcase_to_underscores, unix_time, unix_time_millis
from moto.sqs.exceptions import InvalidParameterValue, ReceiptHandleIsInvalid
from moto.sqs.models import Message, Queue, SQSBackend

__all__ = ["QueueAttributes", "VisibleMessages", "install"]


class QueueAttributes(Mapping[str, Any]):
    """The attributes moto's ``Queue.attributes`` reports, each computed on first read."""

    def __init__(self, queue: Queue) -> None:
        self._queue = queue
        names = list(Queue.BASE_ATTRIBUTES)
        if queue.fifo_queue:
            names += Queue.FIFO_ATTRIBUTES
        if queue.kms_master_key_id:  # type: ignore[attr-defined]
            names += Queue.KMS_ATTRIBUTES
        self._names = dict.fromkeys(names)
        self._values: dict[str, Any] = {}

    def __getitem__(self, name: str) -> Any:
        if name not in self._names:
            raise KeyError(name)
        if name not in self._values:
            self._values[name] = self._compute(name)
        return self._values[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._names)

    def __len__(self) -> int:
        return len(self._names)

    def _compute(self, name: str) -> Any:
        if name == "RedrivePolicy":
            redrive = self._queue.redrive_policy
            return json.dumps(redrive) if redrive else redrive
        value = getattr(self._queue, camelcase_to_underscores(name))
        return str(value).lower() if isinstance(value, bool) else value


def _keeping_policy(set_attributes: Callable[..., None]) -> Callable[..., None]:
    def _set_attributes(self: Queue, attributes: dict[str, Any], now: float | None = None) -> None:
        if "Policy" in attributes or not hasattr(self, "_policy_json"):  # a new queue has no policy yet
            set_attributes(self, attributes, now)
            return
        policy = self.policy
        set_attributes(self, attributes, now)
        self.policy = policy

    return _set_attributes


def _as_dict(get_queue_attributes: Callable[..., Mapping[str, Any]]) -> Callable[..., dict[str, Any]]:
    def as_dict(self: SQSBackend, queue_name: str, attribute_names: list[str]) -> dict[str, Any]:
        return dict(get_queue_attributes(self, queue_name, attribute_names))

    return as_dict


def _retained(self: SQSBackend, queue_name: str, message: Any) -> bool:
    retention_period = int(self.get_queue(queue_name).message_retention_period)  # type: ignore[attr-defined]
    return bool(retention_period + message.sent_timestamp / 1000 > unix_time())


_MAX_VISIBILITY_MS = 43_200 * 1000  # a message's visibility may not extend beyond 12 hours after it was sent
# Every receipt handle a message was given, and the message: a delete finds it without a walk.
_RECEIVED: weakref.WeakValueDictionary[str, Message] = weakref.WeakValueDictionary()


class VisibleMessages:
    """A queue's visible messages, oldest first, found as they are asked for (moto's ``Queue.messages``
    was a list of all of them, made for every receive)."""

    def __init__(self, queue: Queue) -> None:
        self._queue = queue

    def __iter__(self) -> Iterator[Message]:
        return (message for message in list(self._queue._messages) if message.visible and not message.delayed)

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def __bool__(self) -> bool:
        return next(iter(self), None) is not None


def _registering(mark_received: Callable[..., None]) -> Callable[..., None]:
    def mark_received_and_register(self: Message, *args: Any, **kwargs: Any) -> None:
        mark_received(self, *args, **kwargs)
        _RECEIVED[self.receipt_handle] = self  # type: ignore[index]

    return mark_received_and_register


def _received(queue: Queue, receipt_handle: str) -> Message:
    """The message of the queue that was given ``receipt_handle``, else ReceiptHandleIsInvalid."""
    message = _RECEIVED.get(receipt_handle)
    if message is None or message not in queue._messages:  # a membership test, in C: no Python walk
        raise ReceiptHandleIsInvalid()
    return message


def _delete_message(self: Queue, receipt_handle: str) -> None:
    """moto's ``Queue.delete_message``, but finding the message by its receipt handle."""
    if receipt_handle in self.deleted_messages:
        return  # already deleted: deleting it again succeeds, as moto and SQS answer
    message = _received(self, receipt_handle)
    self._messages.remove(message)
    self.pending_messages.discard(message)
    self.deleted_messages.update(message.all_receipt_handles)  # type: ignore[arg-type]


def _change_message_visibility(self: SQSBackend, queue_name: str, receipt_handle: str, visibility_timeout: int) -> (
    None
):
    """moto's ``change_message_visibility``, but finding the message by its receipt handle."""
    queue = self.get_queue(queue_name)
    message = _received(queue, receipt_handle)
    if unix_time_millis() + int(visibility_timeout) * 1000 - message.sent_timestamp > _MAX_VISIBILITY_MS:  # type: ignore[operator]
        raise InvalidParameterValue(
            f"Value {visibility_timeout} for parameter VisibilityTimeout is invalid. Reason: Total "
            "VisibilityTimeout for the message is beyond the limit [43200 seconds]"
        )
    message.change_visibility(visibility_timeout)
    if message.visible and message in queue.pending_messages:
        queue.pending_messages.remove(message)  # visible again: no longer in flight


def install() -> None:
    Queue.messages = property(VisibleMessages)  # type: ignore[assignment,method-assign]
    Message.mark_received = _registering(Message.mark_received)  # type: ignore[method-assign]
    Queue.delete_message = _delete_message  # type: ignore[method-assign]
    SQSBackend.change_message_visibility = _change_message_visibility  # type: ignore[method-assign]
    Queue._set_attributes = _keeping_policy(Queue._set_attributes)  # type: ignore[method-assign]
    Queue.attributes = property(QueueAttributes)  # type: ignore[assignment,method-assign]
    SQSBackend.get_queue_attributes = _as_dict(SQSBackend.get_queue_attributes)  # type: ignore[method-assign]
    SQSBackend.is_message_valid_based_on_retention_period = _retained  # type: ignore[method-assign]
