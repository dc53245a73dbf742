from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import boto3
import pytest

from deploy.topology import Topology
from mysfits_common.events import AdoptionRequested, LikeRequested
from mysfits_common.publish_batcher import BatchingPublisher
from mysfits_common.publisher import PublishError, SnsPublisher


def test_an_event_is_published_with_its_type_attribute(topology: Topology) -> None:
    sns = boto3.client("sns", region_name="us-east-1")
    sqs = boto3.client("sqs", region_name="us-east-1")
    event = LikeRequested(mysfit_id="abc")

    SnsPublisher(topology.events_topic_arn, sns).publish(event)

    messages = sqs.receive_message(
        QueueUrl=topology.queues["like"].url, MessageAttributeNames=["All"], WaitTimeSeconds=0
    )["Messages"]
    assert json.loads(messages[0]["Body"]) == event.to_message()
    assert messages[0]["MessageAttributes"]["event_type"]["StringValue"] == "LikeRequested"


def test_a_publish_that_fails_raises_publish_error(topology: Topology) -> None:
    sns = boto3.client("sns", region_name="us-east-1")
    missing_topic = topology.events_topic_arn + "-missing"

    with pytest.raises(PublishError):
        SnsPublisher(missing_topic, sns).publish(LikeRequested(mysfit_id="abc"))


def _received(sqs: Any, queue_url: str) -> list[dict[str, Any]]:
    messages: list[dict[str, Any]] = []
    while batch := sqs.receive_message(
        QueueUrl=queue_url, MessageAttributeNames=["All"], MaxNumberOfMessages=10, WaitTimeSeconds=0
    ).get("Messages", []):
        messages += batch
        entries = [{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(batch)]
        sqs.delete_message_batch(QueueUrl=queue_url, Entries=entries)
    return messages


def test_a_batch_arrives_as_single_publishes_do_envelope_attribute_and_filter_unchanged(topology: Topology) -> None:
    # GIVEN likes and an adoption published in one PublishBatch
    sns = boto3.client("sns", region_name="us-east-1")
    sqs = boto3.client("sqs", region_name="us-east-1")
    likes = [LikeRequested(mysfit_id=f"m{index}") for index in range(9)]
    adoption = AdoptionRequested(mysfit_id="m0")

    results = SnsPublisher(topology.events_topic_arn, sns).publish_batch([*likes, adoption])

    # THEN each entry was accepted, and each queue holds exactly its own events, raw, with their type attribute
    assert results == {event.event_id: None for event in [*likes, adoption]}
    like_messages = _received(sqs, topology.queues["like"].url)
    adoption_messages = _received(sqs, topology.queues["adoption"].url)
    assert sorted(json.loads(m["Body"])["eventId"] for m in like_messages) == sorted(e.event_id for e in likes)
    assert [json.loads(m["Body"]) for m in adoption_messages] == [adoption.to_message()]
    by_id = {json.loads(m["Body"])["eventId"]: m for m in like_messages}
    for like in likes:
        assert json.loads(by_id[like.event_id]["Body"]) == like.to_message()
        assert by_id[like.event_id]["MessageAttributes"]["event_type"]["StringValue"] == "LikeRequested"


def test_a_batch_call_that_fails_fails_every_entry(topology: Topology) -> None:
    sns = boto3.client("sns", region_name="us-east-1")
    events = [LikeRequested(mysfit_id="a"), LikeRequested(mysfit_id="b")]

    results = SnsPublisher(topology.events_topic_arn + "-missing", sns).publish_batch(events)

    assert set(results) == {event.event_id for event in events}
    assert all(isinstance(error, PublishError) for error in results.values())


class AnsweringSns:
    """An SNS client that answers PublishBatch as given: AWS may refuse some entries of a batch."""

    def __init__(self, answer: dict[str, Any]) -> None:
        self.answer = answer

    def publish_batch(self, **_request: Any) -> dict[str, Any]:
        return self.answer


def test_failed_entries_fail_their_own_events_and_an_entry_left_unanswered_is_not_taken_as_published() -> None:
    # GIVEN SNS accepts the first entry, refuses the second and says nothing of the third
    events = [LikeRequested(mysfit_id=mysfit_id) for mysfit_id in ("a", "b", "c")]
    sns = AnsweringSns({
        "Successful": [{"Id": "0", "MessageId": "m-0"}],
        "Failed": [{"Id": "1", "Code": "InternalError", "Message": "try again", "SenderFault": False}],
    })

    results = SnsPublisher("arn:aws:sns:us-east-1:123456789012:t", sns).publish_batch(events)

    assert results[events[0].event_id] is None
    assert "InternalError" in str(results[events[1].event_id])
    assert isinstance(results[events[2].event_id], PublishError)


def test_a_batcher_over_sns_publishes_concurrent_events_once_each(topology: Topology) -> None:
    sns = boto3.client("sns", region_name="us-east-1")
    sqs = boto3.client("sqs", region_name="us-east-1")
    batcher = BatchingPublisher(SnsPublisher(topology.events_topic_arn, sns))
    likes = [LikeRequested(mysfit_id=f"m{index}") for index in range(25)]

    with ThreadPoolExecutor(max_workers=25) as pool:
        list(pool.map(batcher.publish, likes))
    batcher.close()

    bodies = [json.loads(m["Body"]) for m in _received(sqs, topology.queues["like"].url)]
    assert sorted(body["eventId"] for body in bodies) == sorted(like.event_id for like in likes)
