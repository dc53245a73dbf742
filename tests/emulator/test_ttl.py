"""Time to live on the embedded emulator: expired items go, as on DynamoDB; markers among them."""

from __future__ import annotations

import time
import uuid
from typing import Any

import boto3
import pytest

from deploy.local import deploy_local_topology
from monolith.domain import Mysfit
from monolith.dynamodb import DynamoMysfitRepository
from mysfits_common.events import LikeRequested
from tests.e2e.client import eventually
from tests.emulator.moto_tables import on_demand_table

FIVE_YEARS = 5 * 365 * 24 * 3600


@pytest.fixture(scope="module")
def dynamodb(fast_emulator: str) -> Any:
    return boto3.client("dynamodb", endpoint_url=fast_emulator, region_name="us-east-1")


def _table(dynamodb: Any, ttl_attribute: str | None) -> str:
    name = on_demand_table(dynamodb, "ttl")
    if ttl_attribute is not None:
        dynamodb.update_time_to_live(
            TableName=name, TimeToLiveSpecification={"Enabled": True, "AttributeName": ttl_attribute}
        )
    return name


def _ids(dynamodb: Any, table: str) -> set[str]:
    return {item["Id"]["S"] for item in dynamodb.scan(TableName=table, ConsistentRead=True)["Items"]}


def _put(dynamodb: Any, table: str, item_id: str, **attributes: dict[str, str]) -> None:
    dynamodb.put_item(TableName=table, Item={"Id": {"S": item_id}, **attributes})


def test_items_whose_ttl_has_passed_are_deleted_and_no_others(dynamodb: Any) -> None:
    # GIVEN a table with TTL on ExpiresAt, and one without TTL holding the same kinds of items
    now = int(time.time())
    with_ttl, without_ttl = _table(dynamodb, "ExpiresAt"), _table(dynamodb, None)
    for table in (with_ttl, without_ttl):
        _put(dynamodb, table, "expired", ExpiresAt={"N": str(now - 60)})
        _put(dynamodb, table, "expires-soon", ExpiresAt={"N": str(now + 2)})
        _put(dynamodb, table, "live", ExpiresAt={"N": str(now + 3600)})
        _put(dynamodb, table, "no-attribute")
        _put(dynamodb, table, "not-a-number", ExpiresAt={"S": str(now - 60)})
        _put(dynamodb, table, "older-than-five-years", ExpiresAt={"N": str(now - FIVE_YEARS - 3600)})

    # WHEN the sweeps have run past the second expiry
    remaining = eventually(lambda: _ids(dynamodb, with_ttl), lambda ids: "expires-soon" not in ids, timeout=15)

    # THEN only the items whose TTL passed are gone, as DynamoDB would do; the other table is untouched
    assert remaining == {"live", "no-attribute", "not-a-number", "older-than-five-years"}
    assert _ids(dynamodb, without_ttl) == {
        "expired",
        "expires-soon",
        "live",
        "no-attribute",
        "not-a-number",
        "older-than-five-years",
    }


def test_processed_event_markers_expire_after_the_configured_ttl(fast_emulator: str, dynamodb: Any) -> None:
    # GIVEN the tables from the templates and a monolith repository that keeps markers for 2 s
    topology = deploy_local_topology(fast_emulator, project="ttlmarkers")
    repository = DynamoMysfitRepository(
        dynamodb, topology.mysfits_table, topology.processed_events_table, marker_ttl_seconds=2
    )
    mysfit_id = str(uuid.uuid4())
    repository.add_if_absent(Mysfit(mysfit_id, "Ttl", "test", "", 1, "Good", "Lawful", "", ""))
    events = [LikeRequested(mysfit_id) for _ in range(3)]

    # WHEN likes are applied
    repository.apply_likes(events)
    markers = {item["EventId"]["S"] for item in dynamodb.scan(TableName=topology.processed_events_table)["Items"]}
    assert {event.event_id for event in events} <= markers

    # THEN their markers are gone a little after the TTL, and the likes stay counted
    eventually(
        lambda: dynamodb.scan(TableName=topology.processed_events_table)["Items"],
        lambda items: not items,
        timeout=15,
    )
    mysfit = repository.get(mysfit_id)
    assert mysfit is not None and mysfit.likes == 3
