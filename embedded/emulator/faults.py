"""Fault injection at the emulator's AWS boundary: AWS's bad days, on demand.

Rules pick requests by service (the signature's credential scope: ``dynamodb``, ``sns``, ``sqs``,
``ssm``..., or ``*``) and action (``X-Amz-Target`` or the form's ``Action``, or ``*``), inside a
window of time (``after`` seconds from when the rules were set, for ``for`` seconds) and with a
``probability`` drawn from ``random.Random(seed)``. The first rule that matches and fires decides
the request; a request no rule fires for is served as usual. Each kind fails as AWS does, so that
botocore raises, parses and retries exactly what it would against AWS:

- ``throttle``: the service's own throttling error in its protocol. DynamoDB: 400
  ``ThrottlingException`` with the message an on-demand table gives, except ``TransactWriteItems``,
  which an on-demand table cancels (``TransactionCanceledException``, reason ``ThrottlingError``
  for the items concerned, as for ``conflict``); SNS: 400 ``Throttling`` (query XML); SQS: 403
  ``RequestThrottled`` in JSON with its ``x-amzn-query-error`` header; any other service: 400
  ``ThrottlingException`` (JSON protocols) or ``Throttling`` (query). botocore's standard retry
  mode classifies each as throttling and retries it, but for the cancelled transaction: that one
  is final to botocore, and the caller decides.
- ``internal-error``: the service's 500 (DynamoDB ``InternalServerError``, SNS and SQS
  ``InternalError``, SSM ``InternalServerError``, else ``InternalFailure``); retried as transient.
- ``conflict`` (DynamoDB ``TransactWriteItems``): 400 ``TransactionCanceledException`` with one
  cancellation reason per item: ``TransactionConflict`` for the request's ``Update`` items (for
  every item when it has none), ``None`` for the others. Nothing is written; not retried.
- ``hold`` (DynamoDB ``TransactWriteItems``): a real conflict rather than a random one. The
  transaction holds the items it writes for ``seconds``, outside the DynamoDB lock, then is applied.
  Meanwhile any ``TransactWriteItems`` or ``TransactGetItems`` touching a held item is cancelled
  with ``TransactionConflict`` for that item, and a ``PutItem``, ``UpdateItem`` or ``DeleteItem`` of
  one fails with ``TransactionConflictException``, as DynamoDB does; botocore retries neither.
- ``partial-batch`` (SNS ``PublishBatch``): a ``fraction`` of the entries (default 0.5, at least
  one, chosen by the seeded random) is answered in ``Failed`` (code ``InternalError``, SenderFault
  false) and not published; the others are published as usual, and keep their ``Id``. The answer
  is a 200, so botocore retries nothing: the caller must republish the failed entries.
- ``latency``: sleeps ``seconds``, then serves the request.
- ``hang``: answers nothing for ``seconds`` (default 60), then drops the connection; nothing is
  applied. The client sees ``ReadTimeoutError`` when its read timeout is shorter, else
  ``ConnectionClosedError``; botocore retries both.
- ``lose-answer``: moto serves the request, then the connection is dropped instead of answering:
  the work is done but the client sees ``ConnectionClosedError``, and botocore's retry does it again.
- ``drop``: the connection is dropped before the request is applied (``ConnectionClosedError``).

``EMULATOR_FAULTS`` (read by the server at start) and ``PUT /_emulator/faults`` take the same body,
``{"rules": [...], "seed": optional int}``; ``GET`` answers the rules, how many times each fired and
the seed (drawn at random when none was given, so that a run can be replayed), ``DELETE`` clears
them. Admin requests are never faulted. With no rule set and nothing held, a request costs one
check. Each fired fault is logged at DEBUG on ``embedded.emulator.faults``.
"""

from __future__ import annotations

import contextlib
import json
import logging
import math
import random
import re
import socket
import threading
import time
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from http import HTTPStatus
from typing import Any, NoReturn
from urllib.parse import urlencode
from xml.etree import ElementTree

import requests
from moto.dynamodb.models import dynamodb_backends
from moto.iam.models import get_account_id_from
from moto.moto_server.werkzeug_app import DomainDispatcherApplication

from embedded.emulator.boundary import AwsRequest, Dispatch, read_request, replace_body
from embedded.emulator.dynamodb import key_of
from mysfits_common.settings import SettingError

__all__ = [
    "ENVIRONMENT_VARIABLE",
    "KINDS",
    "PATH",
    "InvalidFaults",
    "Rule",
    "clear_faults",
    "install",
    "parse_faults",
    "read_faults",
    "set_faults",
    "set_faults_from_environment",
]

logger = logging.getLogger(__name__)

PATH = "/_emulator/faults"
ENVIRONMENT_VARIABLE = "EMULATOR_FAULTS"
KINDS = ("throttle", "internal-error", "conflict", "hold", "partial-batch", "latency", "hang", "lose-answer", "drop")
# Kinds that take ``seconds``, with their default (None: required).
_SECONDS: dict[str, float | None] = {"latency": None, "hang": 60.0, "hold": None}
# Kinds that make sense for one action only.
_ONLY_FOR = {
    "conflict": ("dynamodb", "TransactWriteItems"),
    "hold": ("dynamodb", "TransactWriteItems"),
    "partial-batch": ("sns", "PublishBatch"),
}
_FIELDS = ("service", "action", "fault", "probability", "after", "for", "seconds", "fraction", "name")


class InvalidFaults(ValueError):
    """A body of rules that cannot be used; ``str(error)`` says what is wrong and where."""


@dataclass(frozen=True)
class Rule:
    fault: str
    service: str = "*"
    action: str = "*"
    probability: float = 1.0
    after: float = 0.0
    for_: float | None = None  # seconds the window stays open; None: no end
    seconds: float | None = None  # latency, hang, hold
    fraction: float | None = None  # partial-batch: the share of entries failed
    name: str | None = None

    def applies_to(self, request: AwsRequest) -> bool:
        return self.service in ("*", request.service) and self.action in ("*", request.action)

    def open_at(self, elapsed: float) -> bool:
        return elapsed >= self.after and (self.for_ is None or elapsed < self.after + self.for_)

    def to_json(self) -> dict[str, Any]:
        fields = asdict(self)
        fields["for"] = fields.pop("for_")
        return {field: fields[field] for field in _FIELDS if fields[field] is not None or field == "for"}


# -- the rules' body --------------------------------------------------------------------------


def parse_faults(body: object) -> tuple[list[Rule], int | None]:
    """The rules and seed of a body ``{"rules": [...], "seed": optional int}``, or InvalidFaults."""
    if not isinstance(body, dict):
        raise InvalidFaults('the body must be a JSON object {"rules": [...], "seed": optional int}')
    unknown = sorted(set(body) - {"rules", "seed"})
    if unknown:
        raise InvalidFaults(f"unknown field {unknown[0]!r}; the body has 'rules' and optionally 'seed'")
    raw_rules = body.get("rules")
    if not isinstance(raw_rules, list):
        raise InvalidFaults("'rules' must be a list of rules")
    seed = body.get("seed")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
        raise InvalidFaults(f"'seed' must be a whole number, not {seed!r}")
    return [_rule(raw, index) for index, raw in enumerate(raw_rules)], seed


def _rule(raw: object, index: int) -> Rule:
    where = f"rule {index}"
    if not isinstance(raw, dict):
        raise InvalidFaults(f"{where} must be a JSON object")
    unknown = sorted(set(raw) - set(_FIELDS))
    if unknown:
        raise InvalidFaults(f"{where}: unknown field {unknown[0]!r}; a rule has {', '.join(_FIELDS)}")
    fault = raw.get("fault")
    if fault not in KINDS:
        raise InvalidFaults(f"{where}: unknown fault kind {fault!r}; one of {', '.join(KINDS)}")
    service, action = _text(raw, "service", where) or "*", _text(raw, "action", where) or "*"
    if fault in _ONLY_FOR and (service, action) != _ONLY_FOR[fault]:
        only_service, only_action = _ONLY_FOR[fault]
        raise InvalidFaults(
            f'{where}: {fault} applies to "service": "{only_service}", "action": "{only_action}" only'
        )
    probability = _number(raw, "probability", where, 1.0)
    if not 0 <= probability <= 1:
        raise InvalidFaults(f"{where}: probability must be between 0 and 1, not {probability}")
    return Rule(
        fault=fault,
        service=service,
        action=action,
        probability=probability,
        after=_number(raw, "after", where, 0.0, minimum=0),
        for_=_optional_number(raw, "for", where, minimum=0),
        seconds=_seconds(raw, fault, where),
        fraction=_fraction(raw, fault, where),
        name=_text(raw, "name", where),
    )


def _seconds(raw: dict[str, Any], fault: str, where: str) -> float | None:
    if fault not in _SECONDS:
        if "seconds" in raw:
            raise InvalidFaults(f"{where}: seconds applies to {', '.join(_SECONDS)} only, not {fault}")
        return None
    seconds = _optional_number(raw, "seconds", where, minimum=0)
    if seconds is None:
        seconds = _SECONDS[fault]
    if seconds is None:
        raise InvalidFaults(f"{where}: {fault} needs seconds")
    return seconds


def _fraction(raw: dict[str, Any], fault: str, where: str) -> float | None:
    if fault != "partial-batch":
        if "fraction" in raw:
            raise InvalidFaults(f"{where}: fraction applies to partial-batch only, not {fault}")
        return None
    fraction = _number(raw, "fraction", where, 0.5)
    if not 0 < fraction <= 1:
        raise InvalidFaults(f"{where}: fraction must be above 0 and at most 1, not {fraction}")
    return fraction


def _text(raw: dict[str, Any], field: str, where: str) -> str | None:
    value = raw.get(field)
    if value is not None and (not isinstance(value, str) or not value):
        raise InvalidFaults(f"{where}: {field} must be a non-empty string, not {value!r}")
    return value


def _optional_number(raw: dict[str, Any], field: str, where: str, minimum: float | None = None) -> float | None:
    value = raw.get(field)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise InvalidFaults(f"{where}: {field} must be a number, not {value!r}")
    if minimum is not None and value < minimum:
        raise InvalidFaults(f"{where}: {field} must be at least {minimum}, not {value}")
    return float(value)


def _number(raw: dict[str, Any], field: str, where: str, default: float, minimum: float | None = None) -> float:
    value = _optional_number(raw, field, where, minimum)
    return default if value is None else value


# -- the rules in force -----------------------------------------------------------------------


class _Faults:
    """The rules in force, how many times each fired, and the seeded draws that decide them."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.rules: tuple[Rule, ...] = ()
        self._fired: list[int] = []
        self._seed = 0
        self._random = random.Random(0)
        self._set_at = time.monotonic()

    def set(self, rules: list[Rule], seed: int | None) -> None:
        seed = random.randrange(2**32) if seed is None else seed
        with self._lock:
            self.rules = tuple(rules)
            self._fired = [0] * len(rules)
            self._seed = seed
            self._random = random.Random(seed)
            self._set_at = time.monotonic()

    def fire(self, request: AwsRequest) -> Rule | None:
        """The first rule that matches ``request`` and fires, counted; None if none does."""
        with self._lock:
            elapsed = time.monotonic() - self._set_at
            for index, rule in enumerate(self.rules):
                if rule.applies_to(request) and rule.open_at(elapsed) and self._random.random() < rule.probability:
                    self._fired[index] += 1
                    return rule
        return None

    def sample(self, population: list[int], count: int) -> list[int]:
        with self._lock:
            return self._random.sample(population, count)

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {"rules": [rule.to_json() for rule in self.rules], "fired": list(self._fired), "seed": self._seed}


_faults = _Faults()


# -- items held by transactions in progress (the hold fault) ----------------------------------

_ItemId = tuple[str, str]  # (table, key as sorted JSON)


class _Holds:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._held: set[_ItemId] = set()

    def __bool__(self) -> bool:
        return bool(self._held)

    def conflicts(self, touched: list[_ItemId | None]) -> list[bool]:
        with self._lock:
            return [item in self._held for item in touched]

    def acquire(self, touched: list[_ItemId | None], written: set[_ItemId]) -> list[bool]:
        """Hold ``written`` unless an item of ``touched`` is held already; answer which are."""
        with self._lock:
            conflicts = [item in self._held for item in touched]
            if not any(conflicts):
                self._held |= written
            return conflicts

    def release(self, written: set[_ItemId]) -> None:
        with self._lock:
            self._held -= written


_holds = _Holds()
_SINGLE_WRITES = {"PutItem": "Put", "UpdateItem": "Update", "DeleteItem": "Delete"}
_TRANSACTIONS = {"TransactWriteItems", "TransactGetItems"}


def _items_of(request: AwsRequest) -> list[tuple[str, _ItemId | None]]:
    """(operation, item) for each item a DynamoDB write or transaction names; item None where the
    request is too malformed to tell (moto then answers it as DynamoDB would)."""
    try:
        payload = json.loads(request.body)
        if request.action in _SINGLE_WRITES:
            operations = [(_SINGLE_WRITES[request.action], payload)]
        else:
            operations = [next(iter(item.items())) for item in payload.get("TransactItems", [])]
        backend = dynamodb_backends[get_account_id_from(request.access_key)][request.region]
    except (ValueError, AttributeError, StopIteration, KeyError):
        return []
    items: list[tuple[str, _ItemId | None]] = []
    for op_type, op in operations:
        try:
            items.append((op_type, (op["TableName"], json.dumps(key_of(backend, op_type, op), sort_keys=True))))
        except Exception:  # an unknown table, an item without its key
            items.append((op_type, None))
    return items


# -- answers ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Answer:
    status: int
    headers: list[tuple[str, str]]
    body: bytes

    def send(self, start_response: Any) -> list[bytes]:
        headers = [(name, value) for name, value in self.headers if name.lower() != "content-length"]
        if not any(name.lower() == "x-amzn-requestid" for name, _ in headers):
            headers.append(("x-amzn-RequestId", str(uuid.uuid4())))
        headers.append(("Content-Length", str(len(self.body))))
        start_response(f"{self.status} {HTTPStatus(self.status).phrase}", headers)
        return [self.body]


@dataclass(frozen=True)
class _Error:
    code: str
    status: int
    message: str
    sender: bool = True

    @property
    def fault(self) -> str:
        """Whose fault, in the words of the query protocol's ``Type`` and ``x-amzn-query-error``."""
        return "Sender" if self.sender else "Receiver"


_DYNAMODB_THROTTLED = (
    "Throughput exceeds the current capacity of your table or index. DynamoDB is automatically scaling your "
    "table or index so please try again shortly. If exceptions persist, check if you have a hot key: "
    "https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/bp-partition-key-design.html"
)
_SQS_INTERNAL = "We encountered an internal error. Please try again."
_ERRORS: dict[tuple[str, str], _Error] = {
    ("dynamodb", "throttle"): _Error("ThrottlingException", 400, _DYNAMODB_THROTTLED),
    ("dynamodb", "internal-error"): _Error("InternalServerError", 500, "Internal server error", sender=False),
    ("sns", "throttle"): _Error("Throttling", 400, "Rate exceeded"),
    ("sns", "internal-error"): _Error("InternalError", 500, "Internal Error", sender=False),
    ("sqs", "throttle"): _Error("RequestThrottled", 403, "Request is throttled."),
    ("sqs", "internal-error"): _Error("InternalError", 500, _SQS_INTERNAL, sender=False),
    ("ssm", "internal-error"): _Error("InternalServerError", 500, "An internal error occurred.", sender=False),
}
# Any other service: AWS's common errors, named as its protocol names them.
_JSON_ERRORS = {
    "throttle": _Error("ThrottlingException", 400, "Rate exceeded"),
    "internal-error": _Error("InternalFailure", 500, "An internal error occurred.", sender=False),
}
_QUERY_ERRORS = {**_JSON_ERRORS, "throttle": _Error("Throttling", 400, "Rate exceeded")}
_JSON_TYPE_PREFIX = {"dynamodb": "com.amazonaws.dynamodb.v20120810#", "sqs": "com.amazonaws.sqs#"}
_QUERY_COMPATIBLE = {"sqs"}  # JSON services that also name their error in x-amzn-query-error
_XML_NAMESPACE = {"sns": "http://sns.amazonaws.com/doc/2010-03-31/", "sqs": "http://queue.amazonaws.com/doc/2012-11-05/"}


def _error_answer(request: AwsRequest, kind: str, content_type: str) -> _Answer:
    is_query = "Action" in request.form
    error = _ERRORS.get((request.service, kind)) or (_QUERY_ERRORS if is_query else _JSON_ERRORS)[kind]
    if is_query:
        return _query_error(request.service, error)
    headers = [("Content-Type", content_type or "application/x-amz-json-1.0")]
    if request.service in _QUERY_COMPATIBLE:
        headers.append(("x-amzn-query-error", f"{error.code};{error.fault}"))
    body = {"__type": _JSON_TYPE_PREFIX.get(request.service, "") + error.code, "message": error.message}
    return _Answer(error.status, headers, json.dumps(body).encode())


def _query_error(service: str, error: _Error) -> _Answer:
    namespace = _XML_NAMESPACE.get(service)
    root = ElementTree.Element("ErrorResponse", {"xmlns": namespace} if namespace else {})
    detail = ElementTree.SubElement(root, "Error")
    for tag, text in (("Type", error.fault), ("Code", error.code), ("Message", error.message)):
        ElementTree.SubElement(detail, tag).text = text
    ElementTree.SubElement(root, "RequestId").text = str(uuid.uuid4())
    return _Answer(error.status, [("Content-Type", "text/xml")], ElementTree.tostring(root))


def _dynamodb_error(code: str, fields: Mapping[str, Any]) -> _Answer:
    body = {"__type": _JSON_TYPE_PREFIX["dynamodb"] + code, **fields}
    return _Answer(400, [("Content-Type", "application/x-amz-json-1.0")], json.dumps(body).encode())


_ONGOING = "Transaction is ongoing for the item"


_CONFLICT = {"Code": "TransactionConflict", "Message": _ONGOING}
_THROTTLED = {"Code": "ThrottlingError", "Message": _DYNAMODB_THROTTLED}


def _cancelled(concerned: list[bool], reason: dict[str, str] = _CONFLICT) -> _Answer:
    """DynamoDB's TransactionCanceledException: ``reason`` for each item concerned, None for the others."""
    reasons = [reason if item_concerned else {"Code": "None"} for item_concerned in concerned]
    codes = ", ".join(reason["Code"] for reason in reasons)
    message = f"Transaction cancelled, please refer cancellation reasons for specific reasons [{codes}]"
    return _dynamodb_error("TransactionCanceledException", {"Message": message, "CancellationReasons": reasons})


def _held_conflict(request: AwsRequest) -> _Answer | None:
    """The answer DynamoDB gives a request that touches an item a transaction holds, if it does."""
    conflicts = _holds.conflicts([item for _, item in _items_of(request)])
    if not any(conflicts):
        return None
    logger.debug("fault: %s %s touches an item a transaction holds", request.service, request.action)
    if request.action in _TRANSACTIONS:
        return _cancelled(conflicts)
    return _dynamodb_error("TransactionConflictException", {"message": _ONGOING})


# -- the kinds that serve the request, or part of it ------------------------------------------


def _serve(call: Dispatch, app: DomainDispatcherApplication, environ: dict[str, Any]) -> _Answer:
    """moto's whole answer to the request: once this returns, the request has been applied."""
    response: dict[str, Any] = {}

    def keep_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> None:
        response.update(status=int(status.split()[0]), headers=headers)

    body = call(app, environ, keep_response)
    try:
        content = b"".join(body)
    finally:
        close = getattr(body, "close", None)
        if close is not None:
            close()
    return _Answer(response["status"], response["headers"], content)


def _drop(environ: dict[str, Any]) -> NoReturn:
    """Close the client's connection with no answer. werkzeug's server takes the ConnectionError
    for a client that went away, and writes nothing more."""
    connection = environ.get("werkzeug.socket")
    if connection is not None:
        with contextlib.suppress(OSError):
            connection.shutdown(socket.SHUT_RDWR)
    raise ConnectionAbortedError("fault injection dropped the connection")


def _hold(
    rule: Rule, request: AwsRequest, call: Dispatch, app: DomainDispatcherApplication, environ: dict[str, Any],
    start_response: Any,
) -> Iterable[bytes]:
    items = _items_of(request)
    written = {item for op_type, item in items if op_type != "ConditionCheck" and item is not None}
    conflicts = _holds.acquire([item for _, item in items], written)
    if any(conflicts):
        return _cancelled(conflicts).send(start_response)
    try:
        time.sleep(rule.seconds or 0)
        return _serve(call, app, environ).send(start_response)
    finally:
        _holds.release(written)


_BATCH_ENTRY = re.compile(r"PublishBatchRequestEntries\.member\.(\d+)\.(.+)")
_SNS = _XML_NAMESPACE["sns"]


def _partial_batch(
    rule: Rule, request: AwsRequest, call: Dispatch, app: DomainDispatcherApplication, environ: dict[str, Any],
    start_response: Any,
) -> Iterable[bytes]:
    """Publish the entries kept, then answer the others in Failed as SNS does."""
    entries: dict[int, list[tuple[str, list[str]]]] = {}
    others: list[tuple[str, list[str]]] = []
    for name, values in request.form.items():
        entry = _BATCH_ENTRY.fullmatch(name)
        if entry:
            entries.setdefault(int(entry[1]), []).append((entry[2], values))
        else:
            others.append((name, values))
    numbers = sorted(entries)
    if not numbers:  # an empty batch: moto rejects it as SNS does
        return call(app, environ, start_response)
    failing = set(_faults.sample(numbers, max(1, round((rule.fraction or 0) * len(numbers)))))
    failed_ids = [dict(entries[number]).get("Id", [""])[0] for number in numbers if number in failing]
    kept = [number for number in numbers if number not in failing]
    if not kept:
        answer = _Answer(200, [("Content-Type", "text/xml")], _empty_publish_batch())
    else:
        form = others + [
            (f"PublishBatchRequestEntries.member.{position}.{field}", values)
            for position, number in enumerate(kept, 1)
            for field, values in entries[number]
        ]
        replace_body(environ, urlencode(form, doseq=True).encode())
        answer = _serve(call, app, environ)
    if answer.status != 200:  # the batch as a whole was refused (no such topic...): say so
        return answer.send(start_response)
    return _Answer(200, answer.headers, _with_failed(answer.body, failed_ids)).send(start_response)


def _empty_publish_batch() -> bytes:
    return (
        f'<PublishBatchResponse xmlns="{_SNS}"><PublishBatchResult><Successful/><Failed/></PublishBatchResult>'
        f"<ResponseMetadata><RequestId>{uuid.uuid4()}</RequestId></ResponseMetadata></PublishBatchResponse>"
    ).encode()


def _with_failed(xml: bytes, failed_ids: list[str]) -> bytes:
    """moto's PublishBatch answer with the entries of ``failed_ids`` in Failed."""
    root = ElementTree.fromstring(xml)
    result = root.find(f"{{{_SNS}}}PublishBatchResult")
    assert result is not None, xml
    failed = result.find(f"{{{_SNS}}}Failed")
    if failed is None:
        failed = ElementTree.SubElement(result, f"{{{_SNS}}}Failed")
    for entry_id in failed_ids:
        member = ElementTree.SubElement(failed, f"{{{_SNS}}}member")
        for tag, text in (("Id", entry_id), ("Code", "InternalError"), ("Message", "Internal Error"),
                          ("SenderFault", "false")):
            ElementTree.SubElement(member, f"{{{_SNS}}}{tag}").text = text
    return ElementTree.tostring(root, default_namespace=_SNS)


# -- the dispatcher ---------------------------------------------------------------------------


def _updates_of(request: AwsRequest) -> list[bool] | None:
    """Which items of a transaction a random conflict or throttling concerns: its Updates (the
    mysfits' items, where contention is), or every item when it has none. None for a request
    DynamoDB would reject before looking at its items (moto then says why)."""
    operations = [op_type for op_type, _ in _items_of(request)]
    if not operations:
        return None
    updates = [op_type == "Update" for op_type in operations]
    return updates if any(updates) else [True] * len(updates)


def _inject(
    rule: Rule, request: AwsRequest, call: Dispatch, app: DomainDispatcherApplication, environ: dict[str, Any],
    start_response: Any,
) -> Iterable[bytes]:
    logger.debug("fault %s (%s) on %s %s", rule.fault, rule.name or "unnamed", request.service, request.action)
    match rule.fault:
        case "throttle" if (request.service, request.action) == ("dynamodb", "TransactWriteItems"):
            concerned = _updates_of(request)
            if concerned is None:
                return call(app, environ, start_response)
            return _cancelled(concerned, _THROTTLED).send(start_response)
        case "throttle" | "internal-error":
            return _error_answer(request, rule.fault, environ.get("CONTENT_TYPE", "")).send(start_response)
        case "conflict":
            concerned = _updates_of(request)
            if concerned is None:
                return call(app, environ, start_response)
            return _cancelled(concerned).send(start_response)
        case "hold":
            return _hold(rule, request, call, app, environ, start_response)
        case "partial-batch":
            return _partial_batch(rule, request, call, app, environ, start_response)
        case "latency":
            time.sleep(rule.seconds or 0)
            return call(app, environ, start_response)
        case "hang":
            time.sleep(rule.seconds or 0)
            _drop(environ)
        case "lose-answer":
            _serve(call, app, environ)
            _drop(environ)
        case _:
            _drop(environ)


def _admin(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
    method = environ.get("REQUEST_METHOD")
    if method == "PUT":
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
            rules, seed = parse_faults(json.loads(environ["wsgi.input"].read(length) or b"null"))
        except ValueError as error:  # InvalidFaults, or JSON that does not parse
            body = {"error": {"code": "InvalidFaults", "message": str(error)}}
            return _Answer(400, [("Content-Type", "application/json")], json.dumps(body).encode()).send(start_response)
        _faults.set(rules, seed)
    elif method == "DELETE":
        _faults.set([], None)
    elif method != "GET":
        return _Answer(405, [("Allow", "GET, PUT, DELETE")], b"").send(start_response)
    snapshot = json.dumps(_faults.snapshot()).encode()
    return _Answer(200, [("Content-Type", "application/json")], snapshot).send(start_response)


def _faulting(call: Dispatch) -> Dispatch:
    def faulting_call(
        self: DomainDispatcherApplication, environ: dict[str, Any], start_response: Any
    ) -> Iterable[bytes]:
        if environ.get("PATH_INFO") == PATH:
            return _admin(environ, start_response)
        if not (_faults.rules or _holds):
            return call(self, environ, start_response)
        request = read_request(environ)
        if _holds and request.service == "dynamodb" and request.action in {*_SINGLE_WRITES, *_TRANSACTIONS}:
            conflict = _held_conflict(request)
            if conflict is not None:
                return conflict.send(start_response)
        rule = _faults.fire(request)
        if rule is None:
            return call(self, environ, start_response)
        return _inject(rule, request, call, self, environ, start_response)

    return faulting_call


def install() -> None:
    """Put fault injection in front of this process's moto server (the server does it at start)."""
    DomainDispatcherApplication.__call__ = _faulting(  # type: ignore[method-assign,assignment]
        DomainDispatcherApplication.__call__
    )


def set_faults_from_environment(env: Mapping[str, str]) -> None:
    """Set the rules of ``EMULATOR_FAULTS`` (the body of a PUT), if it is set; a SettingError if
    they cannot be used."""
    value = env.get(ENVIRONMENT_VARIABLE, "").strip()
    if not value:
        return
    try:
        rules, seed = parse_faults(json.loads(value))
    except ValueError as error:
        raise SettingError(f"{ENVIRONMENT_VARIABLE}: {error}") from None
    _faults.set(rules, seed)


# -- helpers for tests, benchmarks and people -------------------------------------------------


def set_faults(endpoint_url: str, rules: list[dict[str, Any]], seed: int | None = None) -> None:
    body: dict[str, Any] = {"rules": rules, **({"seed": seed} if seed is not None else {})}
    response = requests.put(endpoint_url + PATH, json=body, timeout=10)
    if response.status_code == 400:
        raise InvalidFaults(response.json()["error"]["message"])
    response.raise_for_status()


def read_faults(endpoint_url: str) -> dict[str, Any]:
    response = requests.get(endpoint_url + PATH, timeout=10)
    response.raise_for_status()
    body: dict[str, Any] = response.json()
    return body


def clear_faults(endpoint_url: str) -> None:
    requests.delete(endpoint_url + PATH, timeout=10).raise_for_status()
