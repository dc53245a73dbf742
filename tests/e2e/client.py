"""What end-to-end tests use to drive and inspect the running system."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, TypeVar

import boto3
import requests

from deploy.topology import Topology
from monolith.domain import Mysfit
from monolith.dynamodb import DynamoMysfitRepository

T = TypeVar("T")


def eventually(probe: Callable[[], T], accept: Callable[[T], bool], timeout: float = 30, interval: float = 0.2) -> T:
    """Poll `probe` until `accept` holds for its result; fail with the last result after `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if accept(value):
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout} s; last value: {value!r}")
        time.sleep(interval)


class Api:
    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.session = requests.Session()

    def __enter__(self) -> Api:
        return self

    def __exit__(self, *exc_info: object) -> None:
        """Close the kept-alive connections: a stopping gunicorn waits up to 2 s for idle ones."""
        self.session.close()

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return self.session.get(self.base_url + path, timeout=10, **kwargs)

    def post(self, path: str, **kwargs: Any) -> requests.Response:
        return self.session.post(self.base_url + path, timeout=10, **kwargs)

    def mysfit(self, mysfit_id: str) -> dict[str, Any]:
        response = self.get(f"/mysfits/{mysfit_id}")
        response.raise_for_status()
        body: dict[str, Any] = response.json()
        return body

    def likes(self, mysfit_id: str) -> int:
        return int(self.mysfit(mysfit_id)["likes"])

    def like(self, mysfit_id: str, key: str | None = None) -> requests.Response:
        """``key``: the request's Idempotency-Key, which a retry of it reuses."""
        # A fresh connection per call: a shared Session is not safe across threads.
        return requests.post(f"{self.base_url}/mysfits/{mysfit_id}/like", timeout=10, headers=_key_header(key))

    def adopt(self, mysfit_id: str, key: str | None = None) -> requests.Response:
        return requests.post(f"{self.base_url}/mysfits/{mysfit_id}/adopt", timeout=10, headers=_key_header(key))


def _key_header(key: str | None) -> dict[str, str]:
    return {} if key is None else {"Idempotency-Key": key}


class Aws:
    """The emulator, inspected and driven with boto3 over HTTP (DynamoDB at ``dynamodb_url`` where given)."""

    def __init__(self, endpoint_url: str, topology: Topology, dynamodb_url: str | None = None) -> None:
        session = boto3.session.Session(region_name="us-east-1")
        self.topology = topology
        self.sqs = session.client("sqs", endpoint_url=endpoint_url)
        self.sns = session.client("sns", endpoint_url=endpoint_url)
        self.dynamodb = session.client("dynamodb", endpoint_url=dynamodb_url or endpoint_url)
        self.repository = DynamoMysfitRepository(
            self.dynamodb, topology.mysfits_table, topology.processed_events_table
        )

    def add_mysfit(self, mysfit_id: str) -> str:
        self.repository.add_if_absent(
            Mysfit(mysfit_id, "Testy", "Test Sprite", "Made for one test.", 1, "Good", "Lawful", "", "")
        )
        return mysfit_id

    def depth(self, queue_url: str) -> int:
        """Messages in the queue, visible or in flight."""
        attributes = self.sqs.get_queue_attributes(
            QueueUrl=queue_url,
            AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
        )["Attributes"]
        return sum(int(value) for value in attributes.values())

    def drained(self) -> bool:
        return all(self.depth(queue.url) == 0 for queue in self.topology.queues.values())

    def take_all(self, queue_url: str) -> list[str]:
        """Receive and delete every message now visible in the queue; return their bodies."""
        bodies: list[str] = []
        while messages := self.sqs.receive_message(
            QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=0
        ).get("Messages", []):
            for message in messages:
                bodies.append(message["Body"])
                self.sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
        return bodies

    def dead_letters(self) -> int:
        return sum(self.depth(queue.dlq_url) for queue in self.topology.queues.values())

    def outcomes(self, mysfit_id: str) -> dict[str, int]:
        """How many processed-event markers of each outcome the mysfit has."""
        counts: dict[str, int] = {}
        pages = self.dynamodb.get_paginator("scan").paginate(
            TableName=self.topology.processed_events_table,
            FilterExpression="MysfitId = :id",
            ExpressionAttributeValues={":id": {"S": mysfit_id}},
        )
        for page in pages:
            for item in page["Items"]:
                outcome = item["Outcome"]["S"]
                counts[outcome] = counts.get(outcome, 0) + 1
        return counts

    def outcomes_of(self, event_ids: list[str]) -> dict[str, str]:
        """The outcome of each of these events that has been processed (``applied``, ``rejected``...),
        read by key: no scan of the processed-events table, whatever its size."""
        outcomes: dict[str, str] = {}
        table = self.topology.processed_events_table
        for start in range(0, len(event_ids), 100):
            wanted: dict[str, Any] = {
                table: {"Keys": [{"EventId": {"S": i}} for i in event_ids[start : start + 100]], "ConsistentRead": True}
            }
            while wanted:
                response = self.dynamodb.batch_get_item(RequestItems=wanted)
                for item in response["Responses"].get(table, []):
                    outcomes[item["EventId"]["S"]] = item["Outcome"]["S"]
                wanted = response.get("UnprocessedKeys") or {}
        return outcomes

    def publish(self, message: str, event_type: str) -> None:
        self.sns.publish(
            TopicArn=self.topology.events_topic_arn,
            Message=message,
            MessageAttributes={"event_type": {"DataType": "String", "StringValue": event_type}},
        )
