"""DynamoDB in moto, made to behave like DynamoDB under concurrency and as tables grow.

1. **Requests are serialised.** moto's server handles requests on many threads but its DynamoDB
   backend takes no lock, so two concurrent conditional transactions can both pass their condition
   (seen here: two winners of one adoption, and a lost marker write). Real DynamoDB serialises
   them per item; one lock over every DynamoDB request (and the TTL sweep) restores that.
   SQS long polls and SNS are untouched and stay concurrent.
2. **A transaction costs what it touches.** moto's ``transact_write_items`` makes its rollback
   copy with ``copy.deepcopy`` of every table the transaction names, once per item: with a table
   of idempotency markers that grows by one item per event, every batch of likes copied every
   marker ever written about ten times. Here the transaction snapshots only the items it names
   (or their absence) and restores exactly those when it is cancelled. Errors in the request
   itself (more than 100 items, two operations on one item, a malformed expression) reject it as
   a ``ValidationException`` and leave nothing written. An operation that is invalid only for the
   item it meets (``ADD`` to a number stored as a string, an item grown too large) cancels the
   transaction with the reason ``ValidationError`` for that item, as DynamoDB does; moto rejected
   the whole request instead, so a caller could not tell which item was bad.
3. **A query of an index the table does not have is a ValidationException**, "The table does not
   have the specified index: <name>", as DynamoDB answers it (moto answered ResourceNotFoundException,
   which says the table is missing): a deploy that changes an index removes it first, meanwhile.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from moto.dynamodb.comparisons import get_filter_expression
from moto.dynamodb.exceptions import (
    ConditionalCheckFailed,
    IncorrectDataType,
    InvalidUpdateExpressionInvalidDocumentPath,
    ItemSizeTooLarge,
    ItemSizeToUpdateTooLarge,
    MockValidationException,
    MultipleTransactionsException,
    TooManyTransactionsException,
    TransactionCanceledException,
    TransactWriteSingleOpException,
)
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.dynamo_type import DynamoType, Item
from moto.dynamodb.models.table import Table
from moto.dynamodb.responses import DynamoHandler

__all__ = ["DYNAMODB_LOCK", "install", "key_of", "transact_write_items"]

# Re-entrant: the TTL sweep deletes through the backend while holding it.
DYNAMODB_LOCK = threading.RLock()
_OPERATIONS = frozenset({"ConditionCheck", "Put", "Delete", "Update"})
# Invalid for the item met, not for the request: a cancellation reason of that item.
_ITEM_VALIDATION_ERRORS = (
    IncorrectDataType,
    InvalidUpdateExpressionInvalidDocumentPath,
    ItemSizeTooLarge,
    ItemSizeToUpdateTooLarge,
)

_ErrorReason = tuple[str, str, "dict[str, Any] | None"] | tuple[None, None, None]


@dataclass
class _SavedItem:
    table: Table
    hash_key: DynamoType
    range_key: DynamoType | None
    item: Item | None  # a copy of the item before the transaction, or None where there was none
    stream_length: int | None  # records in the table's stream before the transaction

    def restore(self) -> None:
        items: Any = self.table.items
        if self.range_key is None:
            if self.item is None:
                items.pop(self.hash_key, None)
            else:
                items[self.hash_key] = self.item
        elif self.item is None:
            items.get(self.hash_key, {}).pop(self.range_key, None)
            if not items.get(self.hash_key, True):
                items.pop(self.hash_key, None)
        else:
            items[self.hash_key][self.range_key] = self.item
        if self.stream_length is not None and self.table.stream_shard is not None:
            del self.table.stream_shard.items[self.stream_length :]


class _Snapshot:
    """The items one transaction names, as they were before it; restored in reverse on cancel."""

    def __init__(self) -> None:
        self.saved: list[_SavedItem] = []

    def save(self, table: Table, hash_key: DynamoType, range_key: DynamoType | None) -> None:
        current = table.get_item(hash_key, range_key)
        shard = table.stream_shard
        self.saved.append(
            _SavedItem(
                table,
                hash_key,
                range_key,
                copy.deepcopy(current),
                None if shard is None else len(shard.items),
            )
        )

    def restore(self) -> None:
        for saved in reversed(self.saved):
            saved.restore()


def _operation(transact_item: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    if len(transact_item) != 1:
        raise TransactWriteSingleOpException()
    op_type, op = next(iter(transact_item.items()))
    return str(op_type), op


def key_of(backend: DynamoDBBackend, op_type: str, op: dict[str, Any]) -> dict[str, Any]:
    """The key of the item an operation of a transaction names (a ``Put`` names it in its item)."""
    if op_type != "Put":
        return dict(op["Key"])
    table = backend.get_table(op["TableName"])
    attrs = op["Item"]
    key = {table.hash_key_attr: attrs[table.hash_key_attr]}
    if table.range_key_attr is not None:
        key[table.range_key_attr] = attrs[table.range_key_attr]
    return key


def _check_request(transact_items: list[dict[str, Any]]) -> None:
    """Errors that reject the whole request before anything is written."""
    if len(transact_items) > 100:
        raise TooManyTransactionsException()
    for transact_item in transact_items:
        _operation(transact_item)


def transact_write_items(self: DynamoDBBackend, transact_items: list[dict[str, Any]]) -> None:
    """moto's TransactWriteItems, with a rollback snapshot of only the items the transaction names."""
    _check_request(transact_items)
    snapshot = _Snapshot()
    targets: set[tuple[str, str]] = set()
    reasons: list[_ErrorReason] = []
    try:
        for transact_item in transact_items:
            reasons.append(_apply(self, transact_item, snapshot, targets))
    except MockValidationException:  # two operations on one item, a malformed key: nothing is written
        snapshot.restore()
        raise
    if any(code is not None for code, _, _ in reasons):
        snapshot.restore()
        raise TransactionCanceledException(reasons)


def _apply(
    backend: DynamoDBBackend,
    transact_item: dict[str, Any],
    snapshot: _Snapshot,
    targets: set[tuple[str, str]],
) -> _ErrorReason:
    """Check and apply one operation; return its cancellation reason, ``(None, None, None)`` if none."""
    old_item: dict[str, Any] | None = None
    try:
        op_type, op = _operation(transact_item)
        if op_type not in _OPERATIONS:
            raise ValueError("Unsupported transaction operation")
        table_name = op["TableName"]
        key = key_of(backend, op_type, op)
        target = (str(table_name), str(dict(sorted(key.items()))))
        if target in targets:
            raise MultipleTransactionsException()
        targets.add(target)

        table = backend.get_table(table_name)
        hash_key, range_key = backend.get_keys_value(table, key)
        current = table.get_item(hash_key, range_key)
        condition = op.get("ConditionExpression")
        names = op.get("ExpressionAttributeNames")
        values = op.get("ExpressionAttributeValues")
        if condition is not None and not get_filter_expression(condition, names, values).expr(current):
            if op.get("ReturnValuesOnConditionCheckFailure") == "ALL_OLD" and current is not None:
                old_item = current.to_json()["Attributes"]
            raise ConditionalCheckFailed(item=old_item)

        if op_type != "ConditionCheck":
            snapshot.save(table, hash_key, range_key)
        expression: dict[str, Any] = {
            "condition_expression": condition,
            "expression_attribute_names": names,
            "expression_attribute_values": values,
        }
        if op_type == "Put":
            backend.put_item(table_name, op["Item"], **expression)
        elif op_type == "Delete":
            backend.delete_item(table_name, key, **expression)
        elif op_type == "Update":
            backend.update_item(table_name, key, update_expression=op["UpdateExpression"], **expression)
    except _ITEM_VALIDATION_ERRORS as exc:
        return ("ValidationError", str(exc.message), None)
    except MockValidationException:
        raise
    except ConditionalCheckFailed as exc:
        return ("ConditionalCheckFailed", str(exc.message), old_item)
    except Exception as exc:  # what DynamoDB reports as a per-item cancellation reason
        return (type(exc).__name__, str(exc), old_item)
    return (None, None, None)


def _serialised(call_action: Callable[[DynamoHandler], Any]) -> Callable[[DynamoHandler], Any]:
    def serialised_call_action(self: DynamoHandler) -> Any:
        with DYNAMODB_LOCK:
            return call_action(self)

    return serialised_call_action


def _missing_index_invalid(get_schema: Callable[..., list[dict[str, Any]]]) -> Callable[..., list[dict[str, Any]]]:
    def get_schema_of_an_index_that_exists(
        self: DynamoDBBackend, table_name: str, index_name: str | None
    ) -> list[dict[str, Any]]:
        table = self.get_table(table_name)  # a missing table stays ResourceNotFoundException
        if index_name and index_name not in {index.name for index in table.all_indexes()}:
            raise MockValidationException(f"The table does not have the specified index: {index_name}")
        return get_schema(self, table_name, index_name)

    return get_schema_of_an_index_that_exists


def install() -> None:
    """Patch moto's DynamoDB backend and request handler in this process."""
    DynamoHandler.call_action = _serialised(DynamoHandler.call_action)  # type: ignore[method-assign]
    DynamoDBBackend.transact_write_items = transact_write_items  # type: ignore[method-assign]
    DynamoDBBackend.get_schema = _missing_index_invalid(DynamoDBBackend.get_schema)  # type: ignore[method-assign]
