"""A transaction on the emulator costs what it touches, not what the table holds.

moto copied every table a transaction names, once per item, before writing: a batch of likes got
slower with every marker ever written. This drives the emulator's transaction in-process (no HTTP,
no other process, the garbage collector paused) on a table of 1,000 markers and on one of 50,000,
and compares the cheapest of several rounds of each, taken in turns.
"""

from __future__ import annotations

import gc
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from moto.dynamodb.models import DynamoDBBackend

from embedded.emulator.dynamodb import transact_write_items

SMALL, LARGE = 1_000, 50_000
ROUNDS, TRANSACTIONS_PER_ROUND = 5, 40


def _backend_with_markers(count: int) -> DynamoDBBackend:
    backend = DynamoDBBackend("us-east-1", "123456789012")
    for name, key in (("mysfits", "MysfitId"), ("markers", "EventId")):
        backend.create_table(
            name,
            schema=[{"AttributeName": key, "KeyType": "HASH"}],
            throughput=None,
            attr=[{"AttributeName": key, "AttributeType": "S"}],
            global_indexes=None,
            indexes=None,
            streams=None,
            billing_mode="PAY_PER_REQUEST",
            sse_specification=None,
            tags=[],
            deletion_protection_enabled=False,
            warm_throughput=None,
        )
    backend.put_item("mysfits", {"MysfitId": {"S": "m"}, "Likes": {"N": "0"}})
    for _ in range(count):
        backend.put_item("markers", _marker())
    return backend


def _marker() -> dict[str, Any]:
    return {"EventId": {"S": str(uuid.uuid4())}, "Outcome": {"S": "applied"}, "ExpiresAt": {"N": "4102444800"}}


def _batch_of_likes() -> list[dict[str, Any]]:
    """What the monolith sends for a batch of ten likes: one ADD and ten conditional markers."""
    update = {
        "Update": {
            "TableName": "mysfits",
            "Key": {"MysfitId": {"S": "m"}},
            "UpdateExpression": "ADD Likes :n",
            "ConditionExpression": "attribute_exists(MysfitId)",
            "ExpressionAttributeValues": {":n": {"N": "10"}},
        }
    }
    markers = [
        {"Put": {"TableName": "markers", "Item": _marker(), "ConditionExpression": "attribute_not_exists(EventId)"}}
        for _ in range(10)
    ]
    return [update, *markers]


def _seconds_per_round(backend: DynamoDBBackend) -> float:
    batches = [_batch_of_likes() for _ in range(TRANSACTIONS_PER_ROUND)]
    started = time.perf_counter()
    for batch in batches:
        transact_write_items(backend, batch)
    return time.perf_counter() - started


@pytest.fixture
def paused_gc() -> Iterator[None]:
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


@pytest.mark.usefixtures("paused_gc")
def test_time_per_transaction_does_not_grow_with_the_table() -> None:
    small, large = _backend_with_markers(SMALL), _backend_with_markers(LARGE)
    rounds: dict[int, list[float]] = {SMALL: [], LARGE: []}
    for _ in range(ROUNDS):
        rounds[SMALL].append(_seconds_per_round(small))
        rounds[LARGE].append(_seconds_per_round(large))

    ratio = min(rounds[LARGE]) / min(rounds[SMALL])
    assert ratio <= 1.5, f"{LARGE:,} markers against {SMALL:,}: x{ratio:.2f} ({rounds})"
    # Every transaction was written: one ADD of ten likes and ten markers each.
    likes = backend_likes(large)
    assert likes == 10 * ROUNDS * TRANSACTIONS_PER_ROUND
    assert len(large.get_table("markers").items) == LARGE + 10 * ROUNDS * TRANSACTIONS_PER_ROUND


def backend_likes(backend: DynamoDBBackend) -> int:
    item = backend.get_item("mysfits", {"MysfitId": {"S": "m"}})
    assert item is not None
    return int(item.attrs["Likes"].value)
