"""Adapter tests run against moto's in-process mock_aws, with the topology made from the templates.

moto is given the embedded emulator's fixes first, so that its CloudFormation creates what the
templates declare (subscriptions, queue policies, TTL) as the emulator does. The templates are
deployed once per module; each test starts from empty tables and empty queues.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from deploy.local import deploy_local_topology
from deploy.topology import Topology
from embedded.emulator import install as install_emulator_fixes


@pytest.fixture(scope="module")
def deployed() -> Iterator[Topology]:
    with pytest.MonkeyPatch.context() as patch:
        # mock_aws does not intercept requests when AWS_ENDPOINT_URL points elsewhere.
        patch.delenv("AWS_ENDPOINT_URL", raising=False)
        patch.setenv("AWS_ACCESS_KEY_ID", "testing")
        patch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
        patch.setenv("AWS_DEFAULT_REGION", "us-east-1")
        # moto's setting: a purge per test, not one a minute per queue as on AWS.
        patch.setenv("MOTO_SQS_ENFORCE_STRICT_QUEUE_PURGE_BEHAVIOUR", "false")
        install_emulator_fixes()
        with mock_aws():
            yield deploy_local_topology(None)


@pytest.fixture
def topology(deployed: Topology) -> Topology:
    """The module's topology, emptied of what an earlier test wrote: every item and every message."""
    dynamodb = boto3.client("dynamodb", region_name="us-east-1")
    for table in (deployed.mysfits_table, deployed.processed_events_table):
        _empty_table(dynamodb, table)
    sqs = boto3.client("sqs", region_name="us-east-1")
    for queue_url in (url for queue in deployed.queues.values() for url in (queue.url, queue.dlq_url)):
        sqs.purge_queue(QueueUrl=queue_url)  # in flight or not
    return deployed


def _empty_table(dynamodb: Any, table: str) -> None:
    (key,) = (k["AttributeName"] for k in dynamodb.describe_table(TableName=table)["Table"]["KeySchema"])
    for page in dynamodb.get_paginator("scan").paginate(TableName=table, ProjectionExpression="#k",
                                                         ExpressionAttributeNames={"#k": key}):
        for item in page["Items"]:
            dynamodb.delete_item(TableName=table, Key=item)


@pytest.fixture
def dynamodb(topology: Topology) -> object:
    return boto3.client("dynamodb", region_name="us-east-1")
