"""Tables for the tests of the emulator's fixes: made directly in a moto DynamoDB backend (in-process
tests), or through a boto3 client (tests against a running emulator)."""

from __future__ import annotations

import uuid
from typing import Any

from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.table import Table


def create_table(backend: DynamoDBBackend, name: str, hash_key: str) -> Table:
    """An on-demand table keyed by the string attribute ``hash_key``."""
    return backend.create_table(
        name,
        schema=[{"AttributeName": hash_key, "KeyType": "HASH"}],
        throughput=None,
        attr=[{"AttributeName": hash_key, "AttributeType": "S"}],
        global_indexes=None,
        indexes=None,
        streams=None,
        billing_mode="PAY_PER_REQUEST",
        sse_specification=None,
        tags=[],
        deletion_protection_enabled=False,
        warm_throughput=None,
    )


def on_demand_table(dynamodb: Any, prefix: str, range_key: bool = False) -> str:
    """A new on-demand table made through the boto3 client ``dynamodb``, keyed by the string
    attribute ``Id`` (and ``Sort`` with ``range_key``); its name starts with ``prefix``."""
    name = f"{prefix}-{uuid.uuid4().hex[:8]}"
    keys = [{"AttributeName": "Id", "KeyType": "HASH"}]
    attributes = [{"AttributeName": "Id", "AttributeType": "S"}]
    if range_key:
        keys.append({"AttributeName": "Sort", "KeyType": "RANGE"})
        attributes.append({"AttributeName": "Sort", "AttributeType": "S"})
    dynamodb.create_table(
        TableName=name, KeySchema=keys, AttributeDefinitions=attributes, BillingMode="PAY_PER_REQUEST"
    )
    return name


def indexed_table(dynamodb: Any, prefix: str, projection: dict[str, Any]) -> str:
    """A new on-demand table keyed by the string attribute ``Id``, with one global secondary index
    ``ByGroup`` on the string attribute ``Group`` projecting ``projection``; its name starts with
    ``prefix``."""
    name = f"{prefix}-{uuid.uuid4().hex[:8]}"
    dynamodb.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "Id", "KeyType": "HASH"}],
        AttributeDefinitions=[
            {"AttributeName": "Id", "AttributeType": "S"},
            {"AttributeName": "Group", "AttributeType": "S"},
        ],
        GlobalSecondaryIndexes=[
            {
                "IndexName": "ByGroup",
                "KeySchema": [{"AttributeName": "Group", "KeyType": "HASH"}],
                "Projection": projection,
            }
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    return name
