"""The DynamoDB adapter: the mysfits table and the processed-events markers that make fulfil idempotent."""

from __future__ import annotations

import logging
import random
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from monolith.config import Settings
from monolith.domain import (
    AlreadyAdopted,
    DependencyUnavailable,
    Filter,
    ItemBusy,
    Mysfit,
    MysfitNotFound,
    UnprocessableEvent,
)
from monolith.items import readable, to_item, to_mysfit
from monolith.repository import MysfitRepository
from mysfits_common.budgets import BOUNDED_CALL_SECONDS, Deadline
from mysfits_common.events import AdoptionRequested, Event, LikeRequested
from mysfits_common.outcomes import Outcome, from_word, to_word

_INDEXES = {Filter.GOOD_EVIL: "GoodEvilIndex", Filter.LAW_CHAOS: "LawChaosIndex"}
_CONDITION_FAILED = "ConditionalCheckFailed"
_NO_REASON = "None"  # DynamoDB's code for an item of a cancelled transaction that was not the cause
_VALIDATION_ERROR = "ValidationError"
_CANNOT_TAKE_A_LIKE = "its item cannot take a like"  # a corrupt record: Likes stored as a string...
# A transaction holds at most 100 items: an ADD per mysfit plus a marker per event.
_ITEMS_PER_TRANSACTION = 100
_KEYS_PER_BATCH_GET = 100
# A whole request refused because the table or an item is over its rate, or an item is in another
# transaction: nothing was written, and it may pass a moment later (botocore retries only some).
_BUSY_ERRORS = frozenset({
    "ThrottlingException",
    "ProvisionedThroughputExceededException",
    "RequestLimitExceeded",
    "TransactionConflictException",
    "TransactionInProgressException",
})
_BUSY = "Busy"  # the reason given to every item of a request refused with one of those
# Contention is retried here, where it happens, rather than by the worker's message (each
# redelivery spends one of its receives): a few jittered attempts, while the caller's budget allows.
_BUSY_ATTEMPTS = 6
_BUSY_BACKOFF_SECONDS = 0.025
logger = logging.getLogger(__name__)


class _RequestRejected(Exception):
    """DynamoDB refused the whole request (ValidationException): nothing was written."""


def _result_of(reason: str, mysfit_id: str, unmet: Outcome | Exception) -> Outcome | Exception | None:
    """What one item's cancellation reason means for the events it carries (``unmet``: what its
    condition failing means); None: nothing wrong with it."""
    if reason == _NO_REASON:
        return None
    if reason == _CONDITION_FAILED:
        return unmet
    if reason == _VALIDATION_ERROR:
        return UnprocessableEvent(mysfit_id, _CANNOT_TAKE_A_LIKE)
    return ItemBusy(f"mysfit {mysfit_id} is busy")  # TransactionConflict, ThrottlingError...


def _transactions_of(events: list[LikeRequested]) -> list[list[LikeRequested]]:
    """The events in order, cut where a transaction would exceed its items: a marker each, and an
    ADD for each mysfit among them."""
    groups: list[list[LikeRequested]] = []
    group: list[LikeRequested] = []
    mysfits: set[str] = set()
    for event in events:
        items = len(group) + 1 + len(mysfits | {event.mysfit_id})
        if group and items > _ITEMS_PER_TRANSACTION:
            groups.append(group)
            group, mysfits = [], set()
        group.append(event)
        mysfits.add(event.mysfit_id)
    if group:
        groups.append(group)
    return groups


def _busy_pause(attempt: int) -> float:
    """Full jitter: two writers that collided do not collide again at the same moment."""
    return random.uniform(0, _BUSY_BACKOFF_SECONDS * 2**attempt)


def _may_retry(attempt: int, deadline: Deadline | None) -> bool:
    """Whether a busy item may be tried again: attempts left, and time for a whole call after the pause."""
    if attempt >= _BUSY_ATTEMPTS:
        return False
    return deadline is None or deadline.allows(BOUNDED_CALL_SECONDS + _BUSY_BACKOFF_SECONDS * 2**attempt)


class DynamoMysfitRepository(MysfitRepository):
    def __init__(
        self,
        dynamodb_client: Any,
        mysfits_table: str,
        processed_events_table: str,
        marker_ttl_seconds: int = Settings.marker_ttl_seconds,
    ) -> None:
        self._ddb = dynamodb_client
        self._table = mysfits_table
        self._events_table = processed_events_table
        self._marker_ttl = marker_ttl_seconds

    def find(self, by: tuple[Filter, str] | None = None) -> list[Mysfit]:
        """The whole catalogue (a scan), or the mysfits whose ``by`` attribute has a value: their keys
        from its index, which projects keys only (so that a like, which changes Likes, writes no
        index), then the items themselves. While the index is missing or still being built (a
        deploy that changes an index removes it, then builds it again), a scan filtered by value."""
        if by is None:
            return list(readable(item for page in self._pages("scan", TableName=self._table) for item in page))
        attribute, value = by
        condition: dict[str, Any] = {
            "ExpressionAttributeNames": {"#attribute": attribute.value},
            "ExpressionAttributeValues": {":value": {"S": value}},
        }
        query = self._pages(
            "query",
            unless=_index_unavailable,
            TableName=self._table,
            IndexName=_INDEXES[attribute],
            KeyConditionExpression="#attribute = :value",
            **condition,
        )
        try:
            keys = [self._key(item["MysfitId"]["S"]) for page in query for item in page]
        except ClientError as error:
            extra = {"index": _INDEXES[attribute], "error": str(error)}
            logger.warning("Index unavailable: filtering a scan", extra=extra)
            pages = self._pages("scan", TableName=self._table, FilterExpression="#attribute = :value", **condition)
            return sorted(readable(item for page in pages for item in page), key=lambda mysfit: mysfit.mysfit_id)
        return list(readable(self._items(keys)))

    def get(self, mysfit_id: str) -> Mysfit | None:
        with _unavailable_on_error():
            item = self._ddb.get_item(TableName=self._table, Key=self._key(mysfit_id), ConsistentRead=True)
        return to_mysfit(item["Item"]) if "Item" in item else None

    def apply_likes(
        self, events: Sequence[LikeRequested], deadline: Deadline | None = None
    ) -> dict[str, Outcome | Exception]:
        """As few transactions as hold the events (at most 100 items each): an ADD per mysfit (its
        likes summed) and a marker per event; the fewer the transactions, the fewer ADDs of one
        mysfit, each billed two write units.

        A cancelled transaction names, per item, why it failed: a marker that exists is a duplicate,
        a mysfit that does not is not found, an item that cannot take the write (a corrupt record)
        fails only its own events. Those events are settled and the rest written again, so every
        round settles at least one event and one bad neighbour never holds up the batch. A busy item
        (a conflict, throttling) is tried again after a jittered pause, a few times while ``deadline``
        allows, and only then leaves its events to be delivered again (ItemBusy). A request DynamoDB
        rejects as a whole (a validation error) is retried one event at a time, to find the bad one.
        """
        unique = list({event.event_id: event for event in events}.values())  # one marker per id
        results: dict[str, Outcome | Exception] = {}
        for group in _transactions_of(unique):
            results.update(self._apply_like_group(group, deadline))
        return results

    def _apply_like_group(
        self, pending: list[LikeRequested], deadline: Deadline | None
    ) -> dict[str, Outcome | Exception]:
        results: dict[str, Outcome | Exception] = {}
        busy_attempt = 0
        while pending:
            counts = Counter(event.mysfit_id for event in pending)
            updates = [self._add_likes(mysfit_id, count) for mysfit_id, count in counts.items()]
            markers = [{"Put": self._marker(event, Outcome.PROCESSED)} for event in pending]
            try:
                reasons = self._transact([*updates, *markers])
            except _RequestRejected as rejected:
                if len(pending) == 1:
                    extra = {"eventId": pending[0].event_id, "error": str(rejected)}
                    logger.error("Like refused by DynamoDB", extra=extra)
                    results[pending[0].event_id] = UnprocessableEvent(pending[0].mysfit_id, _CANNOT_TAKE_A_LIKE)
                    break
                for event in pending:
                    results.update(self._apply_like_group([event], deadline))
                break
            if reasons is None:
                results.update(dict.fromkeys((event.event_id for event in pending), Outcome.PROCESSED))
                break
            by_mysfit = {mysfit_id: _result_of(reason, mysfit_id, unmet=MysfitNotFound(mysfit_id))
                         for mysfit_id, reason in zip(counts, reasons, strict=False)}
            settled: dict[str, Outcome | Exception] = {}
            busy: dict[str, Outcome | Exception] = {}
            for event, reason in zip(pending, reasons[len(updates):], strict=False):
                result = (_result_of(reason, event.mysfit_id, unmet=Outcome.DUPLICATE)
                          or by_mysfit.get(event.mysfit_id))
                if isinstance(result, ItemBusy):
                    busy[event.event_id] = result
                elif result is not None:
                    settled[event.event_id] = result
            if not settled:  # only busy items stood in the way: pause and try again, or give them up
                if busy and _may_retry(busy_attempt, deadline):
                    time.sleep(_busy_pause(busy_attempt))
                    busy_attempt += 1
                    continue
                settled = busy or {event.event_id: ItemBusy(f"mysfit {event.mysfit_id} is busy") for event in pending}
            results.update(settled)
            pending = [event for event in pending if event.event_id not in results]
        return results

    def apply_adoption(self, event: AdoptionRequested, deadline: Deadline | None = None) -> Outcome:
        """Adopt in one transaction with the event's marker; a busy item is tried again as likes are,
        then ItemBusy."""
        update = {
            "TableName": self._table,
            "Key": self._key(event.mysfit_id),
            "UpdateExpression": "SET Adopted = :true, AdoptedBy = :event",
            "ConditionExpression": "attribute_exists(MysfitId) AND (attribute_not_exists(Adopted) OR Adopted = :false)",
            "ExpressionAttributeValues": {
                ":true": {"BOOL": True},
                ":false": {"BOOL": False},
                ":event": {"S": event.event_id},
            },
        }
        busy_attempt = 0
        while True:
            try:
                reasons = self._transact([{"Update": update}, {"Put": self._marker(event, Outcome.PROCESSED)}])
            except _RequestRejected as rejected:
                raise UnprocessableEvent(event.mysfit_id, str(rejected)) from rejected
            if reasons is None:
                return Outcome.PROCESSED
            if _VALIDATION_ERROR in reasons:
                raise UnprocessableEvent(event.mysfit_id, f"transaction cancelled: {reasons}")
            if _CONDITION_FAILED in reasons:
                break
            if not _may_retry(busy_attempt, deadline):
                raise ItemBusy(f"mysfit {event.mysfit_id} stayed busy: transaction cancelled: {reasons}")
            time.sleep(_busy_pause(busy_attempt))
            busy_attempt += 1
        if reasons[1] == _CONDITION_FAILED:
            if self._marker_outcome(event.event_id) is Outcome.REJECTED:
                raise AlreadyAdopted(event.mysfit_id)
            return Outcome.DUPLICATE
        if self.get(event.mysfit_id) is None:
            raise MysfitNotFound(event.mysfit_id)
        self._put_if_absent(**self._marker(event, Outcome.REJECTED))
        raise AlreadyAdopted(event.mysfit_id)

    def add_if_absent(self, mysfit: Mysfit) -> bool:
        return self._put_if_absent(
            TableName=self._table, Item=to_item(mysfit), ConditionExpression="attribute_not_exists(MysfitId)"
        )

    def ping(self) -> None:
        with _unavailable_on_error():
            self._ddb.describe_table(TableName=self._table)

    def _add_likes(self, mysfit_id: str, count: int) -> dict[str, Any]:
        return {
            "Update": {
                "TableName": self._table,
                "Key": self._key(mysfit_id),
                "UpdateExpression": "ADD Likes :count",
                "ConditionExpression": "attribute_exists(MysfitId)",
                "ExpressionAttributeValues": {":count": {"N": str(count)}},
            }
        }

    def _transact(self, items: list[dict[str, Any]]) -> list[str] | None:
        """Write the items together; None on success, else each item's cancellation reason.

        A request refused as a whole for throttling or another transaction gives every item the
        reason ``Busy``. Raises DependencyUnavailable when nothing was written and no item was named
        (DynamoDB did not answer, or cancelled without a reason per item), and _RequestRejected when DynamoDB
        refused the request as a whole (a validation error: a bug or a bad item, not an outage).
        """
        try:
            self._ddb.transact_write_items(TransactItems=items)
        except ClientError as error:
            code = error.response["Error"]["Code"]
            if code == "ValidationException":
                raise _RequestRejected(str(error)) from error
            if code in _BUSY_ERRORS:
                return [_BUSY] * len(items)
            if code != "TransactionCanceledException":
                raise DependencyUnavailable(str(error)) from error
            reasons = [reason.get("Code") or _NO_REASON for reason in error.response.get("CancellationReasons", [])]
            if all(reason == _NO_REASON for reason in reasons):
                raise DependencyUnavailable(f"transaction cancelled: {reasons}") from error
            return reasons
        except BotoCoreError as error:
            raise DependencyUnavailable(str(error)) from error
        return None

    def _marker(self, event: Event, outcome: Outcome) -> dict[str, Any]:
        now = int(time.time())
        return {
            "TableName": self._events_table,
            "Item": {
                "EventId": {"S": event.event_id},
                "EventType": {"S": event.event_type},
                "MysfitId": {"S": event.mysfit_id},
                "Outcome": {"S": to_word(outcome)},
                "ProcessedAt": {"N": str(now)},
                "ExpiresAt": {"N": str(now + self._marker_ttl)},
            },
            "ConditionExpression": "attribute_not_exists(EventId)",
        }

    def _put_if_absent(self, **request: Any) -> bool:
        try:
            self._ddb.put_item(**request)
        except ClientError as error:
            if error.response["Error"]["Code"] == _CONDITION_FAILED + "Exception":
                return False
            raise DependencyUnavailable(str(error)) from error
        except BotoCoreError as error:
            raise DependencyUnavailable(str(error)) from error
        return True

    def _marker_outcome(self, event_id: str) -> Outcome | None:
        with _unavailable_on_error():
            item = self._ddb.get_item(
                TableName=self._events_table, Key={"EventId": {"S": event_id}}, ConsistentRead=True
            )
        word = item.get("Item", {}).get("Outcome", {}).get("S")
        return from_word(word) if word else None

    def _items(self, keys: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
        """The items of ``keys`` that exist, in the keys' order: ``BatchGetItem`` by 100 keys, what it
        leaves unprocessed (throttled) asked again after a jittered pause, a few times."""
        found: dict[str, dict[str, Any]] = {}
        for start in range(0, len(keys), _KEYS_PER_BATCH_GET):
            pending = {self._table: {"Keys": keys[start:start + _KEYS_PER_BATCH_GET]}}
            for attempt in range(_BUSY_ATTEMPTS + 1):
                if attempt:
                    time.sleep(_busy_pause(attempt - 1))
                with _unavailable_on_error():
                    answer = self._ddb.batch_get_item(RequestItems=pending)
                for item in answer.get("Responses", {}).get(self._table, []):
                    found[item["MysfitId"]["S"]] = item
                pending = answer.get("UnprocessedKeys") or {}
                if not pending:
                    break
            else:
                raise DependencyUnavailable(f"{self._table}: keys left unprocessed {_BUSY_ATTEMPTS + 1} times")
        return (found[key["MysfitId"]["S"]] for key in keys if key["MysfitId"]["S"] in found)

    def _pages(
        self, operation: str, unless: Callable[[ClientError], bool] = lambda error: False, **kwargs: Any
    ) -> Iterator[list[dict[str, Any]]]:
        """The items of each page; DynamoDB's errors as DependencyUnavailable, but those ``unless`` lets through."""
        with _unavailable_on_error(unless):
            for page in self._ddb.get_paginator(operation).paginate(**kwargs):
                yield page.get("Items", [])

    @staticmethod
    def _key(mysfit_id: str) -> dict[str, Any]:
        return {"MysfitId": {"S": mysfit_id}}


def _index_unavailable(error: ClientError) -> bool:
    """Whether a query failed because its index is missing or not yet built (not an outage)."""
    message = error.response["Error"].get("Message", "")
    return error.response["Error"]["Code"] == "ValidationException" and "index" in message.lower()


@contextmanager
def _unavailable_on_error(unless: Callable[[ClientError], bool] = lambda error: False) -> Iterator[None]:
    """DynamoDB's errors as DependencyUnavailable, but for the client errors ``unless`` lets through."""
    try:
        yield
    except ClientError as error:
        if unless(error):
            raise
        raise DependencyUnavailable(str(error)) from error
    except BotoCoreError as error:
        raise DependencyUnavailable(str(error)) from error
