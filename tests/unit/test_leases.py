"""Settling a gathered batch: its deletes go out together, not one round trip after another."""

from __future__ import annotations

import time
from typing import Any

from mysfits_common.events import LikeRequested
from mysfits_common.leases import Leases
from tests.factories import sqs_message
from tests.fakes import FakeSqs


class SlowDeletes(FakeSqs):
    """Each DeleteMessageBatch takes a round trip; how many were in flight at once is kept."""

    def __init__(self) -> None:
        super().__init__()
        self.in_flight = self.most_at_once = 0
        self.calls = 0

    def delete_message_batch(self, QueueUrl: str, Entries: list[dict[str, Any]]) -> dict[str, Any]:
        with self.lock:
            self.calls += 1
            self.in_flight += 1
            self.most_at_once = max(self.most_at_once, self.in_flight)
        time.sleep(0.05)
        with self.lock:
            self.in_flight -= 1
        return super().delete_message_batch(QueueUrl, Entries)


def test_a_batch_of_88_is_deleted_in_nine_calls_made_several_at_once() -> None:
    sqs = SlowDeletes()
    messages = [sqs_message(LikeRequested(mysfit_id=f"m{n % 12}")) for n in range(88)]

    Leases(sqs, "http://queue", visibility_timeout=30, heartbeat_seconds=10).delete(messages)

    assert sorted(sqs.deleted) == sorted(m["ReceiptHandle"] for m in messages)
    assert sqs.calls == 9 and sqs.most_at_once > 1
