from __future__ import annotations

import json

import boto3
import pytest

from deploy.local import Topology
from mysfits_common.events import LikeRequested
from mysfits_common.publisher import PublishError, SnsPublisher


def test_an_event_is_published_with_its_type_attribute(topology: Topology) -> None:
    sns = boto3.client("sns", region_name="us-east-1")
    sqs = boto3.client("sqs", region_name="us-east-1")
    event = LikeRequested(mysfit_id="abc")

    SnsPublisher(topology.events_topic_arn, sns).publish(event)

    messages = sqs.receive_message(
        QueueUrl=topology.like_queue_url, MessageAttributeNames=["All"], WaitTimeSeconds=0
    )["Messages"]
    assert json.loads(messages[0]["Body"]) == event.to_message()
    assert messages[0]["MessageAttributes"]["event_type"]["StringValue"] == "LikeRequested"


def test_a_publish_that_fails_raises_publish_error(topology: Topology) -> None:
    sns = boto3.client("sns", region_name="us-east-1")
    missing_topic = topology.events_topic_arn + "-missing"

    with pytest.raises(PublishError):
        SnsPublisher(missing_topic, sns).publish(LikeRequested(mysfit_id="abc"))
