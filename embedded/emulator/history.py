"""Bounded history: what moto keeps of every message it has ever handled, kept only for a while.

- SNS: every topic appends every published message (body and attributes) to
  ``sent_notifications``, for moto's own test helpers, and never lets go. Nothing here reads it;
  the last :data:`SENT_NOTIFICATIONS_KEPT` stay for anyone inspecting the emulator.
- SQS: every queue adds the receipt handles of every deleted message to ``deleted_messages`` so
  that deleting a message twice succeeds, as it does on AWS. A receipt handle is only ever
  reused by a late or retried delete, so the most recent :data:`DELETED_HANDLES_KEPT` are kept.

Without these bounds the emulator's memory grew with every like it had ever seen.
"""

from __future__ import annotations

from collections import OrderedDict, deque
from collections.abc import Callable, Iterable, Iterator, MutableSet
from typing import Any

from moto.sns.models import Topic
from moto.sqs.models import Queue

__all__ = ["DELETED_HANDLES_KEPT", "SENT_NOTIFICATIONS_KEPT", "RecentSet", "install"]

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
    """Bound the history of every topic and queue created from now on in this process."""
    _after_init(Topic, _bound_topic)
    _after_init(Queue, _bound_queue)
