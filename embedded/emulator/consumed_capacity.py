"""The write units a DynamoDB write consumes, computed as DynamoDB computes them, answered and counted.

moto answers ``ReturnConsumedCapacity`` with fixed placeholders (1.0 for a put, 0.5 for an update,
an empty list for a transaction) and adds them to ``UpdateItem`` and ``BatchWriteItem`` answers even
when not asked. Here every write (``PutItem``, ``UpdateItem``, ``DeleteItem``, ``BatchWriteItem``,
``TransactWriteItems``) is charged from the sizes of the items it touches, before and after, and
the answer carries ``ConsumedCapacity`` only when ``TOTAL`` or ``INDEXES`` is asked: an object for
a single-item write, a list with one entry per table for a batch or a transaction. ``INDEXES``
splits the total into ``Table`` and ``GlobalSecondaryIndexes`` / ``LocalSecondaryIndexes``. Reads
keep moto's placeholders. With :func:`start_counting` (the request counter calls it) every write is
also added to a count per table and index, asked or not, which ``/_emulator/requests`` answers.

The rules, and where they come from (the DynamoDB Developer Guide, as archived in
awsdocs/amazon-dynamodb-developer-guide at 8229480, unless said otherwise):

- Item size (``CapacityUnitCalculations.md``): the sum of the attributes' name lengths (UTF-8) and
  value sizes. A string: its UTF-8 bytes; a number: 1 byte per two significant digits, plus 1
  (leading and trailing zeroes trimmed); a binary: its raw bytes; a null or a Boolean: 1 byte; a
  list or a map: 3 bytes plus its elements, each element 1 byte more (a map element adds its name).
  Sets are not in that list: a set is charged as the sum of its elements. The 100 bytes of
  per-item overhead are for storage billing only, not for capacity.
- Write units (``ProvisionedThroughput.md``, "Capacity unit consumption for writes"): one per
  1 KB (1,024 bytes), each item's size rounded up on its own. ``PutItem`` charges the larger of the
  item it replaces and the new one; ``UpdateItem`` the larger of the item before and after the
  update; ``DeleteItem`` the deleted item; ``BatchWriteItem`` each put or delete as its own request
  (its example: a 500-byte item and a 3.5 KB item are 5 KB, not 4). "Delete operations on
  nonexistent items consume one write capacity unit" (``API_BatchWriteItem.md``, at 8d7c50f).
- A conditional write whose condition fails still consumes write units (same section): for an
  existing item, as many as the new item's size; for a new item, one. The answer is the error and
  carries no ``ConsumedCapacity``; the count includes the charge. A refused ``UpdateItem`` is not
  applied here, so it is charged on the existing item's size, and a refused ``DeleteItem`` likewise.
- Transactions (``transaction-apis.md``, "Capacity management for transactions"): DynamoDB performs
  two underlying writes of every item, prepare and commit (its example: a transaction of three
  500-byte items needs six WCUs). A ``ConditionCheck`` is charged as a transactional write of the
  item it checks: the guide is silent, and paritysuite/dynamodb-conformance PR 67, characterised
  against DynamoDB, found that it "costs 2 WCU, billed as write rather than read". A cancelled
  transaction answers ``TransactionCanceledException`` with no ``ConsumedCapacity`` (same source);
  the guide does not say what its prepare phase bills, and nothing is counted for it here.
- Secondary indexes (``GSI.md``, "Write capacity units"): an index write when the item enters the
  index (it gains the index's key attributes), leaves it (loses one), or changes any projected
  attribute while keeping its index key: one write each; changing the index key is two, a delete
  and a put. No write when the item is in the index neither before nor after, or nothing projected
  changed. Each is rounded up per KB of the index entry (the projected attributes). The guide
  does not say whether a transaction doubles its index writes (its two writes are "of every item
  in the transaction", and indexes are updated asynchronously): they are charged at the standard
  rate here (:data:`INDEX_WRITES_IN_A_TRANSACTION`, one write per write).
- The answer's shape (the API Reference's ``ConsumedCapacity`` and ``Capacity``): ``TableName``,
  ``CapacityUnits`` and ``WriteCapacityUnits``, and with ``INDEXES`` the ``Table`` and per-index
  ``Capacity`` objects (indexes that consumed nothing are left out).
"""

from __future__ import annotations

import base64
import json
import math
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from moto.core.responses import ActionResult
from moto.dynamodb.exceptions import ConditionalCheckFailed
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.dynamo_type import DynamoType, Item
from moto.dynamodb.models.table import SecondaryIndex, Table
from moto.dynamodb.responses import DynamoHandler

__all__ = [
    "INDEX_WRITES_IN_A_TRANSACTION",
    "install",
    "item_size",
    "reset_write_units",
    "start_counting",
    "write_units",
    "write_units_of",
]

KB = 1024
TRANSACTIONAL_WRITES = 2  # prepare and commit
INDEX_WRITES_IN_A_TRANSACTION = 1
_ASKED = frozenset({"TOTAL", "INDEXES"})
_PLACEHOLDERS = ("ConsumedCapacity", "ConsumedCapacityUnits")

_local = threading.local()
_counts_lock = threading.Lock()
_counts: dict[tuple[str, str], float] = {}  # (table, index or "") -> write units
_counting = False


# --- sizes ---------------------------------------------------------------------------------------


def _utf8(text: str) -> int:
    return len(text.encode("utf-8"))


def _number_size(text: str) -> int:
    mantissa = text.lstrip("+-").lower().split("e")[0]
    significant = mantissa.replace(".", "").strip("0")
    return math.ceil(len(significant) / 2) + 1


def _binary_size(data: bytes | str) -> int:
    return len(data) if isinstance(data, bytes) else len(base64.b64decode(data))


def _value_size(value: DynamoType | Mapping[str, Any]) -> int:
    kind, data = (value.type, value.value) if isinstance(value, DynamoType) else next(iter(value.items()))
    if kind == "S":
        return _utf8(data)
    if kind == "N":
        return _number_size(str(data))
    if kind == "B":
        return _binary_size(data)
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "SS":
        return sum(_utf8(element) for element in data)
    if kind == "NS":
        return sum(_number_size(str(element)) for element in data)
    if kind == "BS":
        return sum(_binary_size(element) for element in data)
    if kind == "L":
        return 3 + sum(1 + _value_size(element) for element in data)
    if kind == "M":
        return 3 + sum(1 + _utf8(name) + _value_size(element) for name, element in data.items())
    raise ValueError(f"unknown attribute type {kind!r}")


def item_size(attributes: Mapping[str, DynamoType | Mapping[str, Any]]) -> int:
    """An item's size in bytes by DynamoDB's rules, from its attributes (moto's or DynamoDB JSON)."""
    return sum(_utf8(name) + _value_size(value) for name, value in attributes.items())


def write_units_of(size: int) -> int:
    """Write units of one write of ``size`` bytes: one per KB begun, at least one."""
    return max(1, math.ceil(size / KB))


# --- what one write costs ------------------------------------------------------------------------


def _jsonable(value: Any) -> Any:
    if isinstance(value, DynamoType):
        return value.to_json()
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    raise TypeError(type(value).__name__)


@dataclass(frozen=True)
class _Entry:
    """An item as one index holds it: its index key, its size, and what it projects."""

    key: str
    size: int
    projected: str


@dataclass(frozen=True)
class _Image:
    """What an item was (or is) for capacity: its size and its entry in each index, if any."""

    size: int
    entries: Mapping[str, _Entry | None]

    @staticmethod
    def of(table: Table, attributes: Mapping[str, Any] | None) -> _Image | None:
        if attributes is None:
            return None
        indexes = [*(table.global_indexes or []), *(table.indexes or [])]
        return _Image(item_size(attributes), {index.name: _entry(index, attributes) for index in indexes})


def _entry(index: SecondaryIndex, attributes: Mapping[str, Any]) -> _Entry | None:
    keys = index.schema_key_attrs
    if any(name not in attributes for name in keys):
        return None  # not in this index (a sparse index)
    projection = (index.projection or {}).get("ProjectionType", "ALL")
    if projection == "ALL":
        projected = dict(attributes)
    else:
        names = {*index.table_key_attrs, *keys}
        if projection == "INCLUDE":
            names.update(index.projection.get("NonKeyAttributes", []))
        projected = {name: value for name, value in attributes.items() if name in names}
    return _Entry(
        key=json.dumps([attributes[name] for name in keys], default=_jsonable, sort_keys=True),
        size=item_size(projected),
        projected=json.dumps(projected, default=_jsonable, sort_keys=True),
    )


def _index_writes(before: _Entry | None, after: _Entry | None) -> int:
    if before is None and after is None:
        return 0
    if before is None or after is None:
        return write_units_of((after or before).size)  # type: ignore[union-attr]
    if before.key != after.key:
        return write_units_of(before.size) + write_units_of(after.size)
    if before.projected == after.projected:
        return 0
    return write_units_of(max(before.size, after.size))


@dataclass(frozen=True)
class _Charge:
    table: str
    units: float
    indexes: Mapping[str, float] = field(default_factory=dict)  # index name -> units
    local_indexes: frozenset[str] = frozenset()  # which of those are local secondary indexes


def _charge(table: Table, before: _Image | None, after: _Image | None, transactional: bool) -> _Charge:
    sizes = [image.size for image in (before, after) if image is not None]
    units = write_units_of(max(sizes, default=0)) * (TRANSACTIONAL_WRITES if transactional else 1)
    index_rate = INDEX_WRITES_IN_A_TRANSACTION if transactional else 1
    before_entries = before.entries if before is not None else {}
    after_entries = after.entries if after is not None else {}
    indexes = {
        name: float(_index_writes(before_entries.get(name), after_entries.get(name)) * index_rate)
        for name in {*before_entries, *after_entries}
    }
    return _Charge(
        table.name,
        float(units),
        {name: n for name, n in indexes.items() if n},
        frozenset(index.name for index in table.indexes or []),
    )


# --- the ledger of one request -------------------------------------------------------------------


class _Ledger:
    """The writes of the request being served (DynamoDB requests are served one at a time)."""

    def __init__(self, transactional: bool) -> None:
        self.transactional = transactional
        self.charges: list[_Charge] = []

    def wrote(self, table: Table, before: _Image | None, after: _Image | None) -> None:
        self.charges.append(_charge(table, before, after, self.transactional))

    def refused(self, table: Table, before: _Image | None, new_item: Mapping[str, Any] | None) -> None:
        """A write whose condition failed: the new item's size, or one unit for an item that did not exist."""
        new_size = item_size(new_item) if new_item is not None else before.size if before is not None else 0
        self.charges.append(_Charge(table.name, float(1 if before is None else write_units_of(new_size))))


def _current_ledger() -> _Ledger | None:
    return getattr(_local, "ledger", None)


def _image(table: Table, backend: DynamoDBBackend, key: Mapping[str, Any]) -> _Image | None:
    hash_key, range_key = backend.get_keys_value(table, dict(key))
    item: Item | None = table.get_item(hash_key, range_key)
    return _Image.of(table, item.attrs if item is not None else None)


def _key_of_item(table: Table, attributes: Mapping[str, Any]) -> dict[str, Any]:
    names = [name for name in (table.hash_key_attr, table.range_key_attr) if name is not None]
    return {name: attributes[name] for name in names if name in attributes}


def _recorded(write: Callable[..., Any], key_of: Callable[[Table, Any], Mapping[str, Any]],
              new_item: Callable[[Any], Mapping[str, Any] | None]) -> Callable[..., Any]:
    """``write`` (a backend's put, update or delete), recording what it costs while a ledger is open."""

    def recorded_write(self: DynamoDBBackend, table_name: str, target: Any, *args: Any, **kwargs: Any) -> Any:
        ledger = _current_ledger()
        if ledger is None:
            return write(self, table_name, target, *args, **kwargs)
        table = self.get_table(table_name)
        try:
            before = _image(table, self, key_of(table, target))
        except Exception:  # a malformed key: moto's own write raises the error DynamoDB gives
            return write(self, table_name, target, *args, **kwargs)
        try:
            result = write(self, table_name, target, *args, **kwargs)
        except ConditionalCheckFailed:
            ledger.refused(table, before, new_item(target))
            raise
        ledger.wrote(table, before, _image(table, self, key_of(table, target)))
        return result

    return recorded_write


# --- the answer and the count --------------------------------------------------------------------


def _capacity(units: float) -> dict[str, float]:
    return {"CapacityUnits": units, "WriteCapacityUnits": units}


def _consumed(charges: Iterable[_Charge], asked: str) -> list[dict[str, Any]]:
    """One ``ConsumedCapacity`` per table, in the order the tables were first written."""
    tables: dict[str, float] = {}
    indexes: dict[str, dict[str, dict[str, float]]] = {}  # table -> kind of index -> index -> units
    for charge in charges:
        tables[charge.table] = tables.get(charge.table, 0.0) + charge.units
        for name, units in charge.indexes.items():
            kind = "LocalSecondaryIndexes" if name in charge.local_indexes else "GlobalSecondaryIndexes"
            of_kind = indexes.setdefault(charge.table, {}).setdefault(kind, {})
            of_kind[name] = of_kind.get(name, 0.0) + units
    answers = []
    for name, table_units in tables.items():
        of_table = indexes.get(name, {})
        total = table_units + sum(sum(of_kind.values()) for of_kind in of_table.values())
        answer: dict[str, Any] = {"TableName": name, **_capacity(total)}
        if asked == "INDEXES":
            answer["Table"] = _capacity(table_units)
            for kind, of_kind in of_table.items():
                answer[kind] = {index: _capacity(units) for index, units in of_kind.items()}
        answers.append(answer)
    return answers


def _count(charges: Iterable[_Charge]) -> None:
    if not _counting:
        return
    with _counts_lock:
        for charge in charges:
            for index, units in [("", charge.units), *charge.indexes.items()]:
                _counts[(charge.table, index)] = _counts.get((charge.table, index), 0.0) + units


def start_counting() -> None:
    """Count every write's units from now on, whether its client asked for them or not."""
    global _counting
    _counting = True


def write_units() -> dict[tuple[str, str], float]:
    """Write units counted since the last reset, by (table, index); the table's own under index ``""``."""
    with _counts_lock:
        return dict(_counts)


def reset_write_units() -> None:
    with _counts_lock:
        _counts.clear()


def _condition_checks(handler: DynamoHandler) -> list[_Charge]:
    """A succeeded transaction's ``ConditionCheck`` items, each a transactional write of the item checked."""
    charges = []
    backend = handler.dynamodb_backend
    for transact_item in handler.body.get("TransactItems", []):
        check = transact_item.get("ConditionCheck")
        if check is None:
            continue
        table = backend.get_table(check["TableName"])
        image = _image(table, backend, check["Key"])
        units = write_units_of(image.size if image is not None else 0) * TRANSACTIONAL_WRITES
        charges.append(_Charge(table.name, float(units)))
    return charges


def _measured(action: Callable[[DynamoHandler], ActionResult], single: bool,
              transactional: bool) -> Callable[[DynamoHandler], ActionResult]:
    def measured_action(handler: DynamoHandler) -> ActionResult:
        asked = handler.body.get("ReturnConsumedCapacity", "NONE")
        if asked not in _ASKED and not _counting:
            return _without_placeholders(action(handler))
        ledger = _Ledger(transactional)
        _local.ledger = ledger
        try:
            result = action(handler)
        except Exception:
            if not transactional:  # a refused conditional write is billed; a cancelled transaction is not counted
                _count(ledger.charges)
            raise
        finally:
            _local.ledger = None
        if transactional:
            ledger.charges.extend(_condition_checks(handler))
        _count(ledger.charges)
        result = _without_placeholders(result)
        if asked in _ASKED:
            consumed = _consumed(ledger.charges, asked)
            body: dict[str, Any] = result.result  # type: ignore[assignment]
            if single:
                body["ConsumedCapacity"] = consumed[0] if consumed else {
                    "TableName": handler.body.get("TableName", ""), **_capacity(0.0)}
            else:
                body["ConsumedCapacity"] = consumed
        return result

    return measured_action


def _without_placeholders(result: ActionResult) -> ActionResult:
    body = result.result
    if isinstance(body, dict):
        for name in _PLACEHOLDERS:
            body.pop(name, None)
    return result


def install() -> None:
    """Charge every write in this process's moto, and answer ``ReturnConsumedCapacity`` with it."""
    DynamoDBBackend.put_item = _recorded(  # type: ignore[method-assign]
        DynamoDBBackend.put_item, _key_of_item, lambda item: item)
    DynamoDBBackend.update_item = _recorded(  # type: ignore[method-assign]
        DynamoDBBackend.update_item, lambda _table, key: key, lambda _key: None)
    DynamoDBBackend.delete_item = _recorded(  # type: ignore[method-assign]
        DynamoDBBackend.delete_item, lambda _table, key: key, lambda _key: None)
    for name, single, transactional in (
        ("put_item", True, False),
        ("update_item", True, False),
        ("delete_item", True, False),
        ("batch_write_item", False, False),
        ("transact_write_items", False, True),
    ):
        setattr(DynamoHandler, name, _measured(getattr(DynamoHandler, name), single, transactional))
