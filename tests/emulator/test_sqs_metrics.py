"""The emulator publishes SQS's CloudWatch metrics, as AWS does: the age of a queue's oldest message among them."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest

from ops.status import _oldest_ages
from ops.target import Target
from tests.e2e.client import eventually


@pytest.fixture(scope="module")
def clients(fast_emulator: str) -> tuple[Any, Any]:
    session = boto3.session.Session(region_name="us-east-1")
    return session.client("sqs", endpoint_url=fast_emulator), session.client("cloudwatch", endpoint_url=fast_emulator)


def _latest(cloudwatch: Any, queue: str, metric: str) -> float | None:
    now = datetime.now(UTC)
    response = cloudwatch.get_metric_data(
        MetricDataQueries=[
            {
                "Id": "m",
                "MetricStat": {
                    "Metric": {
                        "Namespace": "AWS/SQS",
                        "MetricName": metric,
                        "Dimensions": [{"Name": "QueueName", "Value": queue}],
                    },
                    "Period": 60,
                    "Stat": "Maximum",
                },
            }
        ],
        StartTime=now - timedelta(minutes=5),
        EndTime=now + timedelta(minutes=1),
        ScanBy="TimestampDescending",
    )
    (result,) = response["MetricDataResults"]
    points = sorted(zip(result["Timestamps"], result["Values"], strict=True), reverse=True)
    return float(points[0][1]) if points else None


def test_a_waiting_message_shows_in_the_queues_metrics_and_its_age_with_it(clients: tuple[Any, Any]) -> None:
    sqs, cloudwatch = clients
    name = f"metrics-{uuid.uuid4().hex[:8]}"
    url = sqs.create_queue(QueueName=name)["QueueUrl"]

    sqs.send_message(QueueUrl=url, MessageBody="waiting")

    eventually(lambda: _latest(cloudwatch, name, "ApproximateNumberOfMessagesVisible"), lambda value: value == 1)
    age = _latest(cloudwatch, name, "ApproximateAgeOfOldestMessage")
    assert age is not None and age >= 0


def test_ops_status_reads_the_age_from_cloudwatch(fast_emulator: str, clients: tuple[Any, Any]) -> None:
    sqs, _ = clients
    url = sqs.create_queue(QueueName=f"aged-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="old")

    ages = eventually(
        lambda: _oldest_ages(Target.from_environment("unused", fast_emulator), [url]),
        lambda found: found[url] is not None,
    )

    age = ages[url]
    assert age is not None and 0 <= age < 300  # seconds since the message was sent, minutes at most


def test_an_empty_queue_reports_age_zero(clients: tuple[Any, Any]) -> None:
    sqs, cloudwatch = clients
    name = f"empty-{uuid.uuid4().hex[:8]}"
    sqs.create_queue(QueueName=name)

    eventually(lambda: _latest(cloudwatch, name, "ApproximateAgeOfOldestMessage"), lambda value: value == 0)
