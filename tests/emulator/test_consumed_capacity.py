"""Consumed capacity on the embedded emulator: the write units DynamoDB's developer guide says a write
costs, answered to ``ReturnConsumedCapacity`` and counted for the benchmark.

Sizes are written out by hand from the guide's rules ("DynamoDB item sizes and formats"), so that
a test fails when the emulator's arithmetic departs from the guide's, not only when it changes.
The tests run on an emulator of their own that counts (``EMULATOR_COUNT_REQUESTS=1``): the count is
reset per test, and no other test's writes may land in it.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from deploy.local import deploy_local_topology
from embedded.emulator.request_count import read_counts, reset_counts
from monolith.dynamodb import DynamoMysfitRepository
from monolith.items import to_item
from monolith.seed import catalogue
from mysfits_common.events import LikeRequested
from tests.conftest import running_emulator
from tests.emulator.moto_tables import indexed_table, on_demand_table

KB = 1024
ID_BYTES = len("Id") + 32  # an "Id" attribute holding a uuid4's hex
FILL_NAME_BYTES = len("Fill")

WriteUnits = dict[tuple[str, str], float]


@pytest.fixture(scope="module")
def emulator_url(output_dir: Path) -> Iterator[str]:
    with running_emulator(output_dir / "capacity-emulator" / "emulator.log", EMULATOR_COUNT_REQUESTS="1") as url:
        yield url


@pytest.fixture(scope="module")
def dynamodb(emulator_url: str) -> Any:
    return boto3.client("dynamodb", endpoint_url=emulator_url, region_name="us-east-1",
                        config=Config(retries={"total_max_attempts": 1}))


@pytest.fixture
def table(dynamodb: Any) -> str:
    return on_demand_table(dynamodb, "capacity")


@pytest.fixture
def counted(emulator_url: str) -> Callable[[], WriteUnits]:
    """The write units the emulator counts from the start of the test, by (table, index)."""
    reset_counts(emulator_url)
    return lambda: {key: units for key, units in read_counts(emulator_url).write_units.items() if units}


def _item(size: int, **attributes: tuple[dict[str, Any], int]) -> dict[str, Any]:
    """An item of exactly ``size`` bytes by the guide's rules: a uuid ``Id``, ``attributes`` (each
    given with its size by hand, its name included) and a string ``Fill`` making up the rest."""
    fill = size - ID_BYTES - FILL_NAME_BYTES - sum(n for _, n in attributes.values())
    assert fill >= 0
    return {
        "Id": {"S": uuid.uuid4().hex},
        **{name: value for name, (value, _) in attributes.items()},
        "Fill": {"S": "p" * fill},
    }


def _key(item: dict[str, Any]) -> dict[str, Any]:
    return {"Id": item["Id"]}


def _units(answer: dict[str, Any]) -> float:
    return float(answer["ConsumedCapacity"]["CapacityUnits"])


# Each value with its size by the guide's rules, the attribute's name "V" (1 byte) included.
SIZED_VALUES = {
    "string, UTF-8 bytes": ({"S": "héllo"}, 1 + 6),
    "number, a byte per two significant digits plus one": ({"N": "-0012345.6700"}, 1 + 4 + 1),
    "binary, raw bytes": ({"B": b"\x00\x01\x02\x03\x04\x05\x06\x07\x08\x09"}, 1 + 10),
    "boolean": ({"BOOL": True}, 1 + 1),
    "null": ({"NULL": True}, 1 + 1),
    "list, 3 bytes and 1 per element": ({"L": [{"S": "ab"}, {"N": "7"}]}, 1 + 3 + (1 + 2) + (1 + 2)),
    "map, 3 bytes and 1 per element with its name": ({"M": {"k": {"S": "ab"}}}, 1 + 3 + (1 + 1 + 2)),
    "string set, its elements": ({"SS": ["a", "bc"]}, 1 + 3),
}


@pytest.mark.parametrize("value,size", SIZED_VALUES.values(), ids=SIZED_VALUES.keys())
def test_an_item_of_1_kb_by_the_guides_size_rules_costs_one_unit_and_a_byte_more_two(
    dynamodb: Any, table: str, value: dict[str, Any], size: int
) -> None:
    at_one_kb = dynamodb.put_item(TableName=table, Item=_item(KB, V=(value, size)), ReturnConsumedCapacity="TOTAL")
    over = dynamodb.put_item(TableName=table, Item=_item(KB + 1, V=(value, size)), ReturnConsumedCapacity="TOTAL")

    assert (_units(at_one_kb), _units(over)) == (1.0, 2.0)


def test_a_put_costs_a_unit_per_kb_begun(dynamodb: Any, table: str) -> None:
    # The guide: "writing a 500-byte item consumes the same throughput as writing a 1 KB item";
    # "if you put or delete an item of 1.6 KB, DynamoDB rounds the item size up to 2 KB".
    small = dynamodb.put_item(TableName=table, Item=_item(500), ReturnConsumedCapacity="TOTAL")
    larger = dynamodb.put_item(TableName=table, Item=_item(int(1.6 * KB)), ReturnConsumedCapacity="TOTAL")

    assert small["ConsumedCapacity"] == {"TableName": table, "CapacityUnits": 1.0, "WriteCapacityUnits": 1.0}
    assert _units(larger) == 2.0


def test_a_put_that_replaces_an_item_costs_the_larger_of_the_two(dynamodb: Any, table: str) -> None:
    old = _item(int(3.5 * KB))
    dynamodb.put_item(TableName=table, Item=old)

    replaced = dynamodb.put_item(TableName=table, Item={**_item(500), **_key(old)}, ReturnConsumedCapacity="TOTAL")

    assert _units(replaced) == 4.0


def test_an_update_costs_the_larger_of_the_item_before_and_after(dynamodb: Any, table: str) -> None:
    # GIVEN a 3.5 KB item and a 500-byte one
    shrinking, growing = _item(int(3.5 * KB)), _item(500)
    for item in (shrinking, growing):
        dynamodb.put_item(TableName=table, Item=item)

    # WHEN the first loses its filling (34 bytes after) and the second's grows to 2 KB (2,086 bytes after)
    shrunk = dynamodb.update_item(TableName=table, Key=_key(shrinking), UpdateExpression="REMOVE Fill",
                                  ReturnConsumedCapacity="TOTAL")
    grown = dynamodb.update_item(TableName=table, Key=_key(growing), UpdateExpression="SET Fill = :fill",
                                 ExpressionAttributeValues={":fill": {"S": "p" * (2 * KB)}},
                                 ReturnConsumedCapacity="TOTAL")

    # THEN each costs its larger side: 3.5 KB before (4 units), 2,086 bytes after (3 units)
    assert (_units(shrunk), _units(grown)) == (4.0, 3.0)


def test_a_delete_costs_the_deleted_item_and_one_unit_when_there_was_none(dynamodb: Any, table: str) -> None:
    item = _item(int(2.2 * KB))
    dynamodb.put_item(TableName=table, Item=item)

    deleted = dynamodb.delete_item(TableName=table, Key=_key(item), ReturnConsumedCapacity="TOTAL")
    absent = dynamodb.delete_item(TableName=table, Key=_key(item), ReturnConsumedCapacity="TOTAL")

    assert (_units(deleted), _units(absent)) == (3.0, 1.0)


def test_a_batch_rounds_each_item_up_on_its_own(dynamodb: Any, table: str) -> None:
    # The guide: "a 500-byte item and a 3.5 KB item: 5 KB (1 KB + 4 KB), not 4 KB".
    answer = dynamodb.batch_write_item(
        RequestItems={table: [{"PutRequest": {"Item": _item(500)}}, {"PutRequest": {"Item": _item(int(3.5 * KB))}}]},
        ReturnConsumedCapacity="TOTAL",
    )

    assert answer["ConsumedCapacity"] == [{"TableName": table, "CapacityUnits": 5.0, "WriteCapacityUnits": 5.0}]


def test_a_transaction_costs_two_units_per_kb_of_each_item_it_writes_or_checks(dynamodb: Any, table: str) -> None:
    # The guide: "each transaction writes three 500-byte items ... you would need to provision six WCUs".
    checked = _item(int(1.5 * KB))
    dynamodb.put_item(TableName=table, Item=checked)
    other = on_demand_table(dynamodb, "capacity-other")
    puts = [{"Put": {"TableName": table, "Item": _item(500)}} for _ in range(3)]
    check = {"ConditionCheck": {"TableName": table, "Key": _key(checked),
                                "ConditionExpression": "attribute_exists(Id)"}}

    answer = dynamodb.transact_write_items(
        TransactItems=[*puts, check, {"Put": {"TableName": other, "Item": _item(500)}}], ReturnConsumedCapacity="TOTAL"
    )

    # three 500-byte puts (6) and a check of a 1.5 KB item (4); the other table's one put (2)
    assert sorted(answer["ConsumedCapacity"], key=lambda c: c["CapacityUnits"]) == [
        {"TableName": other, "CapacityUnits": 2.0, "WriteCapacityUnits": 2.0},
        {"TableName": table, "CapacityUnits": 10.0, "WriteCapacityUnits": 10.0},
    ]


def test_a_refused_conditional_write_answers_no_capacity_and_is_counted(
    dynamodb: Any, table: str, counted: Callable[[], WriteUnits]
) -> None:
    # GIVEN a 500-byte item
    existing = _item(500)
    dynamodb.put_item(TableName=table, Item=existing)
    counted_before = counted()

    # WHEN a 2.5 KB put over it and an update of an item that does not exist both fail their condition
    with pytest.raises(ClientError) as over_existing:
        dynamodb.put_item(TableName=table, Item={**_item(int(2.5 * KB)), **_key(existing)},
                          ConditionExpression="attribute_not_exists(Id)", ReturnConsumedCapacity="TOTAL")
    with pytest.raises(ClientError) as over_nothing:
        dynamodb.update_item(TableName=table, Key={"Id": {"S": "missing"}}, UpdateExpression="SET Fill = :fill",
                             ConditionExpression="attribute_exists(Id)",
                             ExpressionAttributeValues={":fill": {"S": "p"}}, ReturnConsumedCapacity="TOTAL")

    # THEN the answers are the errors alone, and the count holds the new item's size (3) and one unit
    for error in (over_existing, over_nothing):
        assert error.value.response["Error"]["Code"] == "ConditionalCheckFailedException"
        assert "ConsumedCapacity" not in error.value.response
    assert counted()[(table, "")] - counted_before[(table, "")] == 3.0 + 1.0


def test_a_cancelled_transaction_answers_no_capacity_and_counts_nothing(
    dynamodb: Any, table: str, counted: Callable[[], WriteUnits]
) -> None:
    with pytest.raises(ClientError) as error:
        dynamodb.transact_write_items(
            TransactItems=[
                {"Put": {"TableName": table, "Item": _item(500)}},
                {"ConditionCheck": {"TableName": table, "Key": {"Id": {"S": "missing"}},
                                    "ConditionExpression": "attribute_exists(Id)"}},
            ],
            ReturnConsumedCapacity="TOTAL",
        )

    assert error.value.response["Error"]["Code"] == "TransactionCanceledException"
    assert "ConsumedCapacity" not in error.value.response
    assert counted() == {}


def test_index_writes_follow_the_guides_cases(dynamodb: Any) -> None:
    table = indexed_table(dynamodb, "capacity-gsi", {"ProjectionType": "ALL"})
    item = _item(500, Group=({"S": "a"}, len("Group") + 1))

    def indexes(answer: dict[str, Any]) -> dict[str, float]:
        consumed = answer["ConsumedCapacity"]
        assert consumed["CapacityUnits"] == consumed["Table"]["CapacityUnits"] + sum(
            index["CapacityUnits"] for index in consumed.get("GlobalSecondaryIndexes", {}).values())
        return {name: index["CapacityUnits"] for name, index in consumed.get("GlobalSecondaryIndexes", {}).items()}

    def update(expression: str, **values: dict[str, Any]) -> dict[str, float]:
        request: dict[str, Any] = {"TableName": table, "Key": _key(item), "UpdateExpression": expression,
                                   "ExpressionAttributeNames": {"#g": "Group"} if "#g" in expression else None,
                                   "ExpressionAttributeValues": values or None, "ReturnConsumedCapacity": "INDEXES"}
        return indexes(dynamodb.update_item(**{name: value for name, value in request.items() if value is not None}))

    # a new item that defines the index key: one write to put it in the index
    assert indexes(dynamodb.put_item(TableName=table, Item=item, ReturnConsumedCapacity="INDEXES")) == {"ByGroup": 1.0}
    # a projected attribute changes, the index key does not: one write
    assert update("SET Extra = :x", **{":x": {"S": "x"}}) == {"ByGroup": 1.0}
    # nothing changes: no index write
    assert update("SET Extra = :x", **{":x": {"S": "x"}}) == {}
    # the index key changes: a delete and a put
    assert update("SET #g = :b", **{":b": {"S": "b"}}) == {"ByGroup": 2.0}
    # the index key is removed: one write to delete the entry
    assert update("REMOVE #g") == {"ByGroup": 1.0}
    # in the index neither before nor after: no index write
    assert update("SET Extra = :y", **{":y": {"S": "y"}}) == {}


def test_an_index_is_written_only_when_what_it_projects_changes(dynamodb: Any) -> None:
    keys_only = indexed_table(dynamodb, "capacity-keys", {"ProjectionType": "KEYS_ONLY"})
    item = _item(500, Group=({"S": "a"}, len("Group") + 1))
    dynamodb.put_item(TableName=keys_only, Item=item)

    answer = dynamodb.update_item(TableName=keys_only, Key=_key(item), UpdateExpression="SET Extra = :x",
                                  ExpressionAttributeValues={":x": {"S": "x"}}, ReturnConsumedCapacity="INDEXES")

    assert answer["ConsumedCapacity"] == {
        "TableName": keys_only, "CapacityUnits": 1.0, "WriteCapacityUnits": 1.0,
        "Table": {"CapacityUnits": 1.0, "WriteCapacityUnits": 1.0},
    }


WRITES: dict[str, Callable[[str], tuple[str, dict[str, Any]]]] = {
    "PutItem": lambda table: ("put_item", {"TableName": table, "Item": _item(100)}),
    "UpdateItem": lambda table: ("update_item", {"TableName": table, "Key": {"Id": {"S": uuid.uuid4().hex}},
                                                 "UpdateExpression": "SET Fill = :p",
                                                 "ExpressionAttributeValues": {":p": {"S": "p"}}}),
    "DeleteItem": lambda table: ("delete_item", {"TableName": table, "Key": {"Id": {"S": uuid.uuid4().hex}}}),
    "BatchWriteItem": lambda table: ("batch_write_item",
                                     {"RequestItems": {table: [{"PutRequest": {"Item": _item(100)}}]}}),
    "TransactWriteItems": lambda table: ("transact_write_items",
                                         {"TransactItems": [{"Put": {"TableName": table, "Item": _item(100)}}]}),
}


@pytest.mark.parametrize("write", WRITES.values(), ids=WRITES.keys())
def test_capacity_is_answered_only_when_asked_and_split_only_for_indexes(
    dynamodb: Any, table: str, write: Callable[[str], tuple[str, dict[str, Any]]]
) -> None:
    def consumed(asked: str | None) -> Any:
        operation, request = write(table)
        answer = getattr(dynamodb, operation)(**request, **({"ReturnConsumedCapacity": asked} if asked else {}))
        found = answer.get("ConsumedCapacity")
        return found[0] if isinstance(found, list) else found

    total, indexes = consumed("TOTAL"), consumed("INDEXES")

    assert consumed(None) is None and consumed("NONE") is None
    assert total == {"TableName": table, "CapacityUnits": 1.0 * (2 if write is WRITES["TransactWriteItems"] else 1),
                     "WriteCapacityUnits": total["CapacityUnits"]}
    assert indexes == {**total, "Table": {"CapacityUnits": total["CapacityUnits"],
                                          "WriteCapacityUnits": total["CapacityUnits"]}}


def test_a_batch_of_likes_costs_what_the_sizes_of_its_items_say(
    emulator_url: str, dynamodb: Any, counted: Callable[[], WriteUnits]
) -> None:
    # GIVEN the tables from the templates (the mysfits table has two indexes projecting its keys only), three
    # mysfits of the catalogue, and items all under 1 KB (their JSON, longer than their size, is)
    topology = deploy_local_topology(emulator_url, project=f"capacity{uuid.uuid4().hex[:6]}")
    repository = DynamoMysfitRepository(dynamodb, topology.mysfits_table, topology.processed_events_table)
    mysfits = catalogue()[:3]
    for mysfit in mysfits:
        repository.add_if_absent(mysfit)
    events = [LikeRequested(mysfits[n % 3].mysfit_id) for n in range(10)]
    assert all(len(json.dumps(to_item(mysfit))) < KB for mysfit in mysfits)
    counted_before = counted()

    # WHEN the monolith applies ten likes in one transaction, without asking for capacity
    repository.apply_likes(events)

    # THEN a transactional write per mysfit (2 units each) and per marker (2 each), and no index
    # write: Likes is not among what the indexes project
    spent = {key: units - counted_before.get(key, 0.0) for key, units in counted().items()}
    assert {key: units for key, units in spent.items() if units} == {
        (topology.mysfits_table, ""): 3 * 2.0,
        (topology.processed_events_table, ""): 10 * 2.0,
    }
