"""A handler slower than the visibility timeout is not processed twice: the heartbeat keeps it hidden."""

from __future__ import annotations

import threading
import uuid
from typing import Any

import boto3
import pytest

from mysfits_common.consumer import Consumer, ConsumerSettings
from mysfits_common.events import Event, LikeRequested
from mysfits_common.handlers import EachEvent, Handled
from mysfits_common.outcomes import Outcome
from tests.e2e.client import eventually
from tests.faults.proxy import CuttableProxy

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
HOLD_SECONDS = 6  # three times the visibility timeout


def handled_ids_with_two_competing_consumers(proxy: CuttableProxy, heartbeat_seconds: float) -> list[str]:
    """Two consumers on one queue; the first to get the message holds it three times the visibility
    timeout (2 s), or until a second handling shows it was not kept hidden."""
    sqs = boto3.client("sqs", endpoint_url=proxy.url, region_name="us-east-1")
    queue_url = sqs.create_queue(QueueName=f"slow-{uuid.uuid4()}")["QueueUrl"]
    sqs.send_message(QueueUrl=queue_url, MessageBody=LikeRequested(mysfit_id="slowpoke").to_json())
    handled: list[str] = []
    handled_twice, first_handled = threading.Event(), threading.Event()

    def slow(event: Event) -> Handled:
        handled.append(event.event_id)
        (handled_twice if len(handled) > 1 else first_handled).set()
        handled_twice.wait(HOLD_SECONDS)
        return Handled(Outcome.PROCESSED, "Like processed.")

    settings = ConsumerSettings(
        queue_url=queue_url, wait_seconds=1, visibility_timeout=2, heartbeat_seconds=heartbeat_seconds
    )
    consumers = [Consumer(sqs, settings, EachEvent(slow)) for _ in range(2)]
    threads = [threading.Thread(target=c.run) for c in consumers]
    for thread in threads:
        thread.start()
    assert first_handled.wait(30), "no consumer received the message"
    handled_twice.wait(HOLD_SECONDS)
    eventually(lambda: _messages(sqs, queue_url), lambda left: left == 0, timeout=30)  # deleted: no third chance
    for consumer in consumers:
        consumer.stop()
    for thread in threads:
        thread.join(30)
    sqs.delete_queue(QueueUrl=queue_url)
    return handled


def _messages(sqs: Any, queue_url: str) -> int:
    names = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
    attributes = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=names)["Attributes"]
    return sum(int(attributes[name]) for name in names)


def test_the_heartbeat_keeps_a_slow_message_from_a_second_consumer(proxy: CuttableProxy) -> None:
    assert len(handled_ids_with_two_competing_consumers(proxy, heartbeat_seconds=0.5)) == 1


def test_without_a_heartbeat_the_same_message_would_be_handled_twice(proxy: CuttableProxy) -> None:
    # The control experiment: it shows the test above can fail.
    assert len(handled_ids_with_two_competing_consumers(proxy, heartbeat_seconds=1000)) >= 2
