"""Bounded history: what moto keeps of every message it has ever handled, kept only for a while.

- Every model: moto appends every instance of every model class it ever creates to that class's
  ``instances_tracked`` list, for its dashboard. Every SQS message sent, every copy made to
  answer a receive, every DynamoDB item written, updated or copied stayed alive for good: most of
  what the emulator's memory grew by, and why expired items freed nothing. The lists become weak
  sets: the dashboard still sees every live instance, and a deleted one is freed.
- SNS: every topic appends every published message (body and attributes) to
  ``sent_notifications``, for moto's own test helpers, and never lets go. Nothing here reads it;
  the last :data:`SENT_NOTIFICATIONS_KEPT` stay for anyone inspecting the emulator.
- SQS: every queue adds the receipt handles of every deleted message to ``deleted_messages`` so
  that deleting a message twice succeeds, as it does on AWS. A receipt handle is only ever
  reused by a late or retried delete, so the most recent :data:`DELETED_HANDLES_KEPT` are kept.

Without these bounds the emulator's memory grew with every like it had ever seen.
"""

from __future__ import annotations

import weakref
from collections import OrderedDict, deque
from collections.abc import Callable, Iterable, Iterator, MutableSet
from typing import Any

from moto.core.common_models import BaseModel
from moto.sns.models import Topic
from moto.sqs.models import Queue

__all__ = ["DELETED_HANDLES_KEPT", "SENT_NOTIFICATIONS_KEPT", "LiveInstances", "RecentSet", "install"]

SENT_NOTIFICATIONS_KEPT = 1_000
DELETED_HANDLES_KEPT = 10_000


class RecentSet(MutableSet[str]):
    """A set that forgets its oldest members beyond ``capacity``."""

    def __init__(self, capacity: int, members: Iterable[str] = ()) -> None:
        self.capacity = capacity
        self._members: OrderedDict[str, None] = OrderedDict()
        self.update(members)

    def __contains__(self, member: object) -> bool:
        return member in self._members

    def __iter__(self) -> Iterator[str]:
        return iter(self._members)

    def __len__(self) -> int:
        return len(self._members)

    def add(self, member: str) -> None:
        self._members[member] = None
        self._members.move_to_end(member)
        while len(self._members) > self.capacity:
            self._members.popitem(last=False)

    def discard(self, member: str) -> None:
        self._members.pop(member, None)

    def update(self, members: Iterable[str | None]) -> None:
        for member in members:
            if member is not None:
                self.add(member)


class LiveInstances:
    """``instances_tracked`` as moto uses it (``append``, iteration), holding its members weakly.

    Keyed by identity: moto's models compare by value and many cannot be hashed.
    """

    def __init__(self, instances: Iterable[Any] = ()) -> None:
        self._instances: weakref.WeakValueDictionary[int, Any] = weakref.WeakValueDictionary()
        for instance in instances:
            self.append(instance)

    def append(self, instance: Any) -> None:
        self._instances[id(instance)] = instance

    def __iter__(self) -> Iterator[Any]:
        return iter(list(self._instances.values()))

    def __len__(self) -> int:
        return len(self._instances)


def _new_tracked_weakly(cls: type[BaseModel], *args: Any, **kwargs: Any) -> BaseModel:
    instance: BaseModel = super(BaseModel, cls).__new__(cls)
    tracked = cls.instances_tracked  # type: ignore[attr-defined]
    if not isinstance(tracked, LiveInstances):  # a new class, or moto's reset put a list back
        tracked = cls.instances_tracked = LiveInstances(tracked)  # type: ignore[attr-defined]
    tracked.append(instance)
    return instance


def _after_init(cls: type, bound: Callable[[Any], None]) -> None:
    original = cls.__init__  # type: ignore[misc]

    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **kwargs)
        bound(self)

    cls.__init__ = __init__  # type: ignore[misc]


def _bound_topic(topic: Topic) -> None:
    topic.sent_notifications = deque(topic.sent_notifications, maxlen=SENT_NOTIFICATIONS_KEPT)  # type: ignore[assignment]


def _bound_queue(queue: Queue) -> None:
    queue.deleted_messages = RecentSet(DELETED_HANDLES_KEPT, queue.deleted_messages)  # type: ignore[assignment]


def install() -> None:
    """Bound the history of every model, topic and queue created from now on in this process."""
    BaseModel.__new__ = _new_tracked_weakly  # type: ignore[method-assign]
    _after_init(Topic, _bound_topic)
    _after_init(Queue, _bound_queue)
