"""SQS message move tasks on the embedded emulator: a DLQ's messages go back, attributes and all."""

from __future__ import annotations

import json
import uuid
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError


@pytest.fixture(scope="module")
def sqs(emulator: str) -> Any:
    return boto3.client("sqs", endpoint_url=emulator, region_name="us-east-1")


def _queues(sqs: Any) -> tuple[str, str, str]:
    """A source queue with a DLQ (maxReceiveCount 1): source URL, DLQ URL, DLQ ARN."""
    name = f"moves-{uuid.uuid4().hex[:8]}"
    dlq_url = sqs.create_queue(QueueName=f"{name}-dlq")["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    redrive = json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 1})
    source_url = sqs.create_queue(QueueName=name, Attributes={"RedrivePolicy": redrive})["QueueUrl"]
    return source_url, dlq_url, dlq_arn


def _bodies(sqs: Any, url: str) -> list[dict[str, Any]]:
    messages: list[dict[str, Any]] = sqs.receive_message(
        QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0, MessageAttributeNames=["All"]
    ).get("Messages", [])
    return messages


def test_a_move_task_sends_the_dlq_back_to_its_source_queue(sqs: Any) -> None:
    # GIVEN three messages in a source queue's DLQ, with their message attributes
    source_url, dlq_url, dlq_arn = _queues(sqs)
    attributes = {"event_type": {"DataType": "String", "StringValue": "LikeRequested"}}
    for number in range(3):
        sqs.send_message(QueueUrl=dlq_url, MessageBody=f"like {number}", MessageAttributes=attributes)

    # WHEN a move task is started with no destination
    handle = sqs.start_message_move_task(SourceArn=dlq_arn)["TaskHandle"]

    # THEN it completes, the DLQ is empty and the source queue holds every message, attributes kept
    (task,) = sqs.list_message_move_tasks(SourceArn=dlq_arn)["Results"]
    assert (task["TaskHandle"], task["Status"]) == (handle, "COMPLETED")
    moved = _bodies(sqs, source_url)
    assert sorted(m["Body"] for m in moved) == ["like 0", "like 1", "like 2"]
    assert task["ApproximateNumberOfMessagesMoved"] == 3
    assert all(m["MessageAttributes"]["event_type"]["StringValue"] == "LikeRequested" for m in moved)
    assert _bodies(sqs, dlq_url) == []


def test_a_move_task_for_an_unknown_queue_is_refused(sqs: Any) -> None:
    with pytest.raises(ClientError):
        sqs.start_message_move_task(SourceArn="arn:aws:sqs:us-east-1:123456789012:no-such-queue")
