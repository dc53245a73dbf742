"""A transaction on the emulator costs what it touches, not what the table holds.

moto copied every table a transaction names, once per item, before writing: a batch of likes got
slower with every marker ever written. This drives the emulator's transaction in-process on a
table of 1,000 markers and on one of 5,000 and counts the items it copies (a count, not a time:
the machine is shared; ``python -m bench.soak`` measures the time per like as the table grows).
"""

from __future__ import annotations

import copy
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.dynamo_type import Item

from embedded.emulator.dynamodb import transact_write_items
from tests.emulator.moto_tables import create_table

SMALL, LARGE = 1_000, 5_000
TRANSACTIONS = 20


def _backend_with_markers(count: int) -> DynamoDBBackend:
    backend = DynamoDBBackend("us-east-1", "123456789012")
    for name, key in (("mysfits", "MysfitId"), ("markers", "EventId")):
        create_table(backend, name, key)
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


class ItemCopies:
    """Counts every DynamoDB item deep-copied, by whoever copies it (moto's rollback copy did)."""

    def __init__(self) -> None:
        self.count = 0

    def copy(self, item: Item, memo: dict[int, Any]) -> Item:
        self.count += 1
        clone: Item = object.__new__(Item)
        memo[id(item)] = clone
        for name, value in vars(item).items():
            setattr(clone, name, copy.deepcopy(value, memo))
        return clone


@pytest.fixture
def item_copies(monkeypatch: pytest.MonkeyPatch) -> Iterator[ItemCopies]:
    counter = ItemCopies()

    def __deepcopy__(item: Item, memo: dict[int, Any]) -> Item:
        return counter.copy(item, memo)

    monkeypatch.setattr(Item, "__deepcopy__", __deepcopy__, raising=False)
    yield counter


def _copies_per_transaction(backend: DynamoDBBackend, item_copies: ItemCopies) -> float:
    before = item_copies.count
    for _ in range(TRANSACTIONS):
        transact_write_items(backend, _batch_of_likes())
    return (item_copies.count - before) / TRANSACTIONS


def test_a_transaction_copies_only_the_items_it_names(item_copies: ItemCopies) -> None:
    small, large = _backend_with_markers(SMALL), _backend_with_markers(LARGE)

    per_transaction = {size: _copies_per_transaction(backend, item_copies) for size, backend in ((SMALL, small),
                                                                                               (LARGE, large))}

    # A few copies of the one existing item the transaction updates (the new markers did not exist),
    # the same however many markers the table holds: moto's own copied the table, once per item.
    assert per_transaction[SMALL] == per_transaction[LARGE] <= len(_batch_of_likes())
    assert backend_likes(large) == 10 * TRANSACTIONS
    assert len(large.get_table("markers").items) == LARGE + 10 * TRANSACTIONS


def test_a_cancelled_transaction_in_a_large_table_restores_only_what_it_named(item_copies: ItemCopies) -> None:
    backend = _backend_with_markers(LARGE)
    batch = _batch_of_likes()
    existing_id = next(iter(backend.get_table("markers").items)).value
    batch[-1]["Put"]["Item"] = {**batch[-1]["Put"]["Item"], "EventId": {"S": existing_id}}

    with pytest.raises(Exception, match="ConditionalCheckFailed"):
        transact_write_items(backend, batch)

    assert item_copies.count <= len(batch)
    assert backend_likes(backend) == 0
    assert len(backend.get_table("markers").items) == LARGE


def backend_likes(backend: DynamoDBBackend) -> int:
    item = backend.get_item("mysfits", {"MysfitId": {"S": "m"}})
    assert item is not None
    return int(item.attrs["Likes"].value)
