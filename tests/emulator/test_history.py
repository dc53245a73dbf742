"""What the emulator keeps of messages it has handled stays bounded (moto's models, in-process).

Each test uses an account of its own, so that nothing else in this process shares its topics,
queues or tables.
"""

from __future__ import annotations

import gc
import time
import uuid
from collections.abc import Iterator

import pytest
from moto.dynamodb.models import dynamodb_backends
from moto.dynamodb.models.dynamo_type import Item
from moto.sns.models import sns_backends
from moto.sqs.models import Message, sqs_backends

from embedded.emulator import history, install
from embedded.emulator.ttl import sweep_expired
from tests.emulator.moto_tables import create_table

REGION = "us-east-1"


@pytest.fixture(autouse=True)
def emulator_fixes() -> None:
    install()


@pytest.fixture
def account() -> str:
    return str(uuid.uuid4().int)[:12]


def _alive(cls: type) -> set[int]:
    gc.collect()
    return {id(instance) for instance in cls.instances_tracked}  # type: ignore[attr-defined]


def _send_receive_delete(account: str, queue_name: str, count: int) -> list[str]:
    """Send, receive and delete ``count`` messages; return their receipt handles."""
    sqs = sqs_backends[account][REGION]
    handles = []
    for _ in range(count):
        sqs.send_message(queue_name, "like", message_attributes={})
        (message,) = sqs.receive_message(queue_name, 1, 0, 30)
        assert message.receipt_handle is not None
        sqs.delete_message(queue_name, message.receipt_handle)
        handles.append(message.receipt_handle)
    return handles


def test_deleted_messages_are_freed(account: str) -> None:
    sqs_backends[account][REGION].create_queue("freed")
    before = _alive(Message)

    _send_receive_delete(account, "freed", 200)

    # moto tracked every message it created (and the copy answering each receive) for good.
    assert _alive(Message) - before == set()


def test_items_deleted_by_ttl_are_freed(account: str) -> None:
    dynamodb = dynamodb_backends[account][REGION]
    create_table(dynamodb, "markers", "EventId")
    dynamodb.update_time_to_live("markers", {"Enabled": True, "AttributeName": "ExpiresAt"})
    before = _alive(Item)
    expired = str(int(time.time()) - 10)
    for _ in range(300):
        dynamodb.put_item("markers", {"EventId": {"S": str(uuid.uuid4())}, "ExpiresAt": {"N": expired}})
    assert len(_alive(Item) - before) == 300

    sweep_expired(dynamodb_backends, now=time.time())

    assert dynamodb.get_table("markers").items == {}
    assert _alive(Item) - before == set()


def test_a_topic_keeps_only_its_latest_notifications(account: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(history, "SENT_NOTIFICATIONS_KEPT", 5)
    sns = sns_backends[account][REGION]
    topic = sns.create_topic("bounded")

    for number in range(12):
        sns.publish(f"event {number}", arn=topic.arn)

    assert [notification[1] for notification in topic.sent_notifications] == [f"event {n}" for n in range(7, 12)]


@pytest.fixture
def few_handles_kept(monkeypatch: pytest.MonkeyPatch) -> Iterator[int]:
    monkeypatch.setattr(history, "DELETED_HANDLES_KEPT", 5)
    yield 5


def test_a_queue_remembers_only_recent_deletions_and_a_repeated_one_succeeds(
    account: str, few_handles_kept: int
) -> None:
    sqs = sqs_backends[account][REGION]
    queue = sqs.create_queue("handles")

    handles = _send_receive_delete(account, "handles", 12)

    assert len(queue.deleted_messages) == few_handles_kept
    sqs.delete_message("handles", handles[-1])  # deleting twice succeeds, as on AWS


def test_recent_set_forgets_its_oldest_members() -> None:
    recent = history.RecentSet(3, ["a", "b"])
    recent.update(["c", "d", None])
    recent.add("b")  # seen again: now the most recent
    recent.add("e")

    assert list(recent) == ["d", "b", "e"]
    assert "a" not in recent and "c" not in recent
    recent.discard("b")
    assert len(recent) == 2
