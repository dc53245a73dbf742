"""Time to live, as DynamoDB does it: items whose TTL attribute has passed are deleted.

moto records a table's TTL setting but never deletes anything, so the processed-events table of
a long run holds every marker ever written. A sweep in the background deletes, from every table
with TTL enabled, the items whose TTL attribute is a number of epoch seconds in the past. Like
DynamoDB it ignores items without the attribute, with a value that is not a number, or with a
value more than five years in the past. DynamoDB deletes within days, with no promise; the sweep
runs every ``EMULATOR_TTL_SWEEP_SECONDS`` (default 5) so that a test can watch items expire.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from decimal import Decimal, InvalidOperation

from moto.core.base_backend import BackendDict
from moto.dynamodb.models import DynamoDBBackend, dynamodb_backends
from moto.dynamodb.models.dynamo_type import DynamoType, Item
from moto.dynamodb.models.table import Table

from embedded.emulator.dynamodb import DYNAMODB_LOCK

__all__ = ["expired_keys", "sweep_expired"]

logger = logging.getLogger(__name__)

_FIVE_YEARS = 5 * 365 * 24 * 3600


def _all_items(table: Table) -> Iterator[tuple[DynamoType, DynamoType | None, Item]]:
    for hash_key, value in list(table.items.items()):
        if isinstance(value, Item):
            yield hash_key, None, value
        else:
            for range_key, item in list(value.items()):
                yield hash_key, range_key, item


def _expires_at(item: Item, attribute: str) -> Decimal | None:
    value = item.attrs.get(attribute)
    if value is None or value.type != "N":
        return None
    try:
        return Decimal(str(value.value))
    except InvalidOperation:
        return None


def expired_keys(table: Table, now: float) -> list[tuple[DynamoType, DynamoType | None]]:
    """Keys of the table's items whose TTL has passed at ``now`` (none if TTL is not enabled)."""
    if table.ttl.get("TimeToLiveStatus") != "ENABLED" or not table.ttl.get("AttributeName"):
        return []
    attribute = str(table.ttl["AttributeName"])
    expired = []
    for hash_key, range_key, item in _all_items(table):
        expires_at = _expires_at(item, attribute)
        if expires_at is not None and now - _FIVE_YEARS <= expires_at < Decimal(str(now)):
            expired.append((hash_key, range_key))
    return expired


def _backends(dynamodb: BackendDict[DynamoDBBackend]) -> Iterator[DynamoDBBackend]:
    for account_id in list(dynamodb.keys()):
        regions = dynamodb[account_id]
        for region in list(regions.keys()):
            yield regions[region]


def sweep_expired(dynamodb: BackendDict[DynamoDBBackend] = dynamodb_backends, now: float | None = None) -> int:
    """Delete every expired item of every TTL-enabled table; return how many were deleted."""
    deleted = 0
    with DYNAMODB_LOCK:
        moment = time.time() if now is None else now
        for backend in _backends(dynamodb):
            for table in list(backend.tables.values()):
                for hash_key, range_key in expired_keys(table, moment):
                    if table.delete_item(hash_key, range_key) is not None:
                        deleted += 1
    if deleted:
        logger.info("TTL sweep deleted %d expired item(s)", deleted)
    return deleted
