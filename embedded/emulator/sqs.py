"""SQS in moto, made to behave like SQS and to cost per message what SQS's API suggests.

- ``SetQueueAttributes`` changes only the attributes it is given. moto set the queue's policy to
  whatever the request carried, so any call without ``Policy`` (a new visibility timeout, a
  redrive policy) silently removed the policy that lets SNS deliver to the queue.
- A queue's attributes are computed when read, one by one. moto computed all of them, the three
  approximate message counts included (each a pass over every message in the queue), whenever
  any one was needed: for every message sent (to read ``ContentBasedDeduplication``) and three
  times for every message received (to read ``MessageRetentionPeriod``). A queue with a backlog
  got slower with every message in it.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from moto.core.utils import camelcase_to_underscores, unix_time
from moto.sqs.models import Queue, SQSBackend

__all__ = ["QueueAttributes", "install"]


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


def install() -> None:
    Queue._set_attributes = _keeping_policy(Queue._set_attributes)  # type: ignore[method-assign]
    Queue.attributes = property(QueueAttributes)  # type: ignore[assignment,method-assign]
    SQSBackend.get_queue_attributes = _as_dict(SQSBackend.get_queue_attributes)  # type: ignore[method-assign]
    SQSBackend.is_message_valid_based_on_retention_period = _retained  # type: ignore[method-assign]
