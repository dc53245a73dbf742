"""Tables made directly in a moto DynamoDB backend, for the in-process tests of the emulator's fixes."""

from __future__ import annotations

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
