"""TransactWriteItems on the embedded emulator: all or nothing, whatever the reason for cancelling."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from tests.emulator.moto_tables import on_demand_table


@pytest.fixture(scope="module")
def dynamodb(emulator: str) -> Any:
    return boto3.client("dynamodb", endpoint_url=emulator, region_name="us-east-1")


def _everything(dynamodb: Any, table: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = dynamodb.scan(TableName=table, ConsistentRead=True)["Items"]
    return sorted(items, key=repr)


def _cancel_reasons(error: pytest.ExceptionInfo[ClientError]) -> list[str]:
    assert error.value.response["Error"]["Code"] == "TransactionCanceledException"
    return [reason["Code"] for reason in error.value.response["CancellationReasons"]]


@pytest.mark.parametrize("range_key", [False, True], ids=["hash-key", "hash-and-range-key"])
def test_a_cancelled_transaction_leaves_every_item_as_it_was(dynamodb: Any, range_key: bool) -> None:
    # GIVEN items the transaction will update, replace and delete, and keys it would create
    table = on_demand_table(dynamodb, "tx", range_key)

    def key(name: str) -> dict[str, Any]:
        return {"Id": {"S": name}, **({"Sort": {"S": "s"}} if range_key else {})}

    dynamodb.put_item(TableName=table, Item={**key("updated"), "Likes": {"N": "3"}, "Tags": {"SS": ["a"]}})
    dynamodb.put_item(TableName=table, Item={**key("replaced"), "Name": {"S": "old"}})
    dynamodb.put_item(TableName=table, Item={**key("deleted"), "Name": {"S": "kept"}})
    before = _everything(dynamodb, table)

    # WHEN the last operation's condition fails
    with pytest.raises(ClientError) as error:
        dynamodb.transact_write_items(
            TransactItems=[
                {
                    "Update": {
                        "TableName": table,
                        "Key": key("updated"),
                        "UpdateExpression": "ADD Likes :one, Tags :b SET Extra = :x",
                        "ExpressionAttributeValues": {":one": {"N": "1"}, ":b": {"SS": ["b"]}, ":x": {"S": "x"}},
                    }
                },
                {"Put": {"TableName": table, "Item": {**key("replaced"), "Name": {"S": "new"}}}},
                {"Delete": {"TableName": table, "Key": key("deleted")}},
                {"Put": {"TableName": table, "Item": {**key("created"), "Name": {"S": "new"}}}},
                {
                    "Update": {
                        "TableName": table,
                        "Key": key("created-by-update"),
                        "UpdateExpression": "ADD Likes :one",
                        "ExpressionAttributeValues": {":one": {"N": "1"}},
                    }
                },
                {
                    "ConditionCheck": {
                        "TableName": table,
                        "Key": key("missing"),
                        "ConditionExpression": "attribute_exists(Id)",
                    }
                },
            ]
        )

    # THEN nothing changed: no update, no replacement, no deletion, no new item
    assert _cancel_reasons(error) == ["None"] * 5 + ["ConditionalCheckFailed"]
    assert _everything(dynamodb, table) == before


def test_an_item_that_fails_for_another_reason_cancels_the_others_too(dynamodb: Any) -> None:
    table = on_demand_table(dynamodb, "tx")
    dynamodb.put_item(TableName=table, Item={"Id": {"S": "good"}, "Likes": {"N": "1"}})
    dynamodb.put_item(TableName=table, Item={"Id": {"S": "corrupt"}, "Likes": {"S": "not a number"}})
    before = _everything(dynamodb, table)

    with pytest.raises(ClientError) as error:
        dynamodb.transact_write_items(
            TransactItems=[
                {
                    "Update": {
                        "TableName": table,
                        "Key": {"Id": {"S": name}},
                        "UpdateExpression": "ADD Likes :one",
                        "ExpressionAttributeValues": {":one": {"N": "1"}},
                    }
                }
                for name in ("good", "corrupt")
            ]
            + [{"Put": {"TableName": table, "Item": {"Id": {"S": "marker"}}}}]
        )

    # As DynamoDB: the transaction is cancelled, and the reason names the bad item.
    assert _cancel_reasons(error) == ["None", "ValidationError", "None"]
    assert _everything(dynamodb, table) == before


def test_two_operations_on_one_item_are_refused_before_anything_is_written(dynamodb: Any) -> None:
    table = on_demand_table(dynamodb, "tx")
    with pytest.raises(ClientError) as error:
        dynamodb.transact_write_items(
            TransactItems=[
                {"Put": {"TableName": table, "Item": {"Id": {"S": "first"}}}},
                {"Put": {"TableName": table, "Item": {"Id": {"S": "twice"}}}},
                {"Delete": {"TableName": table, "Key": {"Id": {"S": "twice"}}}},
            ]
        )
    assert error.value.response["Error"]["Code"] == "ValidationException"
    assert _everything(dynamodb, table) == []


def test_a_transaction_that_passes_applies_every_operation(dynamodb: Any) -> None:
    table = on_demand_table(dynamodb, "tx")
    dynamodb.put_item(TableName=table, Item={"Id": {"S": "m"}, "Likes": {"N": "2"}})
    dynamodb.put_item(TableName=table, Item={"Id": {"S": "gone"}})
    dynamodb.transact_write_items(
        TransactItems=[
            {
                "Update": {
                    "TableName": table,
                    "Key": {"Id": {"S": "m"}},
                    "UpdateExpression": "ADD Likes :n",
                    "ExpressionAttributeValues": {":n": {"N": "5"}},
                }
            },
            {
                "Put": {
                    "TableName": table,
                    "Item": {"Id": {"S": "marker"}},
                    "ConditionExpression": "attribute_not_exists(Id)",
                }
            },
            {"Delete": {"TableName": table, "Key": {"Id": {"S": "gone"}}}},
        ]
    )
    assert _everything(dynamodb, table) == [
        {"Id": {"S": "m"}, "Likes": {"N": "7"}},
        {"Id": {"S": "marker"}},
    ]


def test_a_failed_condition_can_return_the_item_it_saw(dynamodb: Any) -> None:
    table = on_demand_table(dynamodb, "tx")
    dynamodb.put_item(TableName=table, Item={"Id": {"S": "seen"}, "State": {"S": "adopted"}})
    with pytest.raises(ClientError) as error:
        dynamodb.transact_write_items(
            TransactItems=[
                {
                    "Put": {
                        "TableName": table,
                        "Item": {"Id": {"S": "seen"}},
                        "ConditionExpression": "attribute_not_exists(Id)",
                        "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
                    }
                }
            ]
        )
    (reason,) = error.value.response["CancellationReasons"]
    assert reason["Code"] == "ConditionalCheckFailed"
    assert reason["Item"] == {"Id": {"S": "seen"}, "State": {"S": "adopted"}}
