"""A query of an index the table does not have fails as DynamoDB fails it."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from tests.emulator.moto_tables import on_demand_table


@pytest.fixture(scope="module")
def dynamodb(emulator: str) -> Any:
    return boto3.client("dynamodb", endpoint_url=emulator, region_name="us-east-1")


def test_a_query_of_a_missing_index_is_a_validation_error_naming_it(dynamodb: Any) -> None:
    table = on_demand_table(dynamodb, "no-index")

    with pytest.raises(ClientError) as error:
        dynamodb.query(TableName=table, IndexName="GoodEvilIndex", KeyConditionExpression="GoodEvil = :v",
                       ExpressionAttributeValues={":v": {"S": "Good"}})

    assert error.value.response["Error"]["Code"] == "ValidationException"
    assert error.value.response["Error"]["Message"] == "The table does not have the specified index: GoodEvilIndex"


def test_a_query_of_a_missing_table_still_says_the_table_is_missing(dynamodb: Any) -> None:
    with pytest.raises(ClientError) as error:
        dynamodb.query(TableName="no-such-table", IndexName="GoodEvilIndex", KeyConditionExpression="GoodEvil = :v",
                       ExpressionAttributeValues={":v": {"S": "Good"}})

    assert error.value.response["Error"]["Code"] == "ResourceNotFoundException"
