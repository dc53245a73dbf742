"""A receive, a delete and a visibility change on the emulator cost per message, not per message queued.

moto listed every visible message for each receive and walked the whole queue for each message
deleted: a drain from a backlog slowed with the backlog. This drives the emulator's SQS in-process
on a queue of 5,000 messages and counts the messages each call looks at (a count, not a time: the
machine is shared; ``python -m bench`` measures the drain).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from moto.sqs.exceptions import ReceiptHandleIsInvalid
from moto.sqs.models import Message, SQSBackend

from embedded.emulator import install

QUEUED, IN_FLIGHT = 5_000, 100


@pytest.fixture
def looked_at(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[int]]:
    """How many times any message was asked whether it is visible, or whether it had a receipt handle."""
    install()
    count = [0]
    visible, had_receipt_handle = Message.visible, Message.had_receipt_handle

    def counted_visible(self: Message) -> bool:
        count[0] += 1
        return bool(visible.fget(self))  # type: ignore[attr-defined]

    def counted_had_receipt_handle(self: Message, receipt_handle: str) -> bool:
        count[0] += 1
        return had_receipt_handle(self, receipt_handle)

    monkeypatch.setattr(Message, "visible", property(counted_visible))
    monkeypatch.setattr(Message, "had_receipt_handle", counted_had_receipt_handle)
    yield count


def _queue_with_backlog() -> SQSBackend:
    backend = SQSBackend("us-east-1", "123456789012")
    backend.create_queue("backlog")
    for n in range(QUEUED):
        backend.send_message("backlog", f"like {n}")
    return backend


def test_a_receive_behind_messages_in_flight_looks_at_those_and_the_ten_it_takes(looked_at: list[int]) -> None:
    backend = _queue_with_backlog()
    backend.receive_message("backlog", IN_FLIGHT, wait_seconds_timeout=0, visibility_timeout=30)
    looked_at[0] = 0

    received = backend.receive_message("backlog", 10, wait_seconds_timeout=0, visibility_timeout=30)

    assert len(received) == 10
    assert looked_at[0] <= IN_FLIGHT + 2 * 10 + 1  # each taken one twice (found, then checked): not the 5,000


def test_a_delete_and_a_visibility_change_find_their_message_by_its_handle(looked_at: list[int]) -> None:
    backend = _queue_with_backlog()
    received = backend.receive_message("backlog", 10, wait_seconds_timeout=0, visibility_timeout=30)
    looked_at[0] = 0

    backend.change_message_visibility("backlog", received[0].receipt_handle, 0)  # type: ignore[arg-type]
    deleted, failed = backend.delete_message_batch(
        "backlog", [{"Id": str(n), "ReceiptHandle": message.receipt_handle} for n, message in enumerate(received)]
    )

    assert looked_at[0] <= 10  # the messages themselves, at most
    assert len(deleted) == 10 and not failed
    assert len(backend.get_queue("backlog").messages) == QUEUED - 10
    backend.delete_message("backlog", received[1].receipt_handle)  # type: ignore[arg-type]  # again: accepted
    with pytest.raises(ReceiptHandleIsInvalid):
        backend.delete_message("backlog", "not-a-handle")
    with pytest.raises(ReceiptHandleIsInvalid):
        backend.change_message_visibility("backlog", received[2].receipt_handle, 0)  # type: ignore[arg-type]
