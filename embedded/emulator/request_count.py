"""An opt-in count of the requests the emulator serves, by service and action, as AWS would bill them.

AWS bills SNS, SQS and DynamoDB per request, so what a like costs is how many requests it makes;
counting them where they arrive sees every client at once and changes none of them. With
``EMULATOR_COUNT_REQUESTS=1`` the server counts:

- each request by service (from its signature's credential scope), action (from ``X-Amz-Target``
  or the form's ``Action``) and caller (the ``app/<id>`` of its user agent, which boto3 takes from
  ``user_agent_appid`` or ``AWS_SDK_UA_APP_ID``: an observer marks its own requests so that they
  can be told apart);
- the entries of each ``PublishBatch``;
- the DynamoDB updates of each item (``UpdateItem``, and each ``Update`` of a ``TransactWriteItems``),
  by table and key: a hot item's write rate is what DynamoDB limits per item;
- the DynamoDB write units consumed, by table and index, whether the client asked for them or not
  (computed by :mod:`embedded.emulator.consumed_capacity`, as ``ReturnConsumedCapacity`` answers them).

``GET /_emulator/requests`` answers the counts as JSON and ``DELETE`` resets them; the
:func:`read_counts` and :func:`reset_counts` helpers call them.
"""

from __future__ import annotations

import json
import re
import threading
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import requests
from moto.moto_server.werkzeug_app import DomainDispatcherApplication

from embedded.emulator import consumed_capacity
from embedded.emulator.boundary import AwsRequest, Dispatch, read_request

__all__ = ["RequestCounts", "install", "read_counts", "reset_counts"]

PATH = "/_emulator/requests"
_APP_ID = re.compile(r"\bapp/([^\s]+)")
_lock = threading.Lock()
_requests: Counter[tuple[str, str, str]] = Counter()
_batch_entries: Counter[str] = Counter()
_item_updates: Counter[tuple[str, str]] = Counter()


def _record(environ: dict[str, Any], request: AwsRequest) -> None:
    app_id = _APP_ID.search(environ.get("HTTP_USER_AGENT", ""))
    caller = app_id.group(1) if app_id else ""
    service, action = request.service, request.action
    with _lock:
        _requests[(service, action, caller)] += 1
        if action == "PublishBatch":
            _batch_entries[caller] += sum(1 for key in request.form if key.endswith(".Id"))
        if service == "dynamodb" and action in {"UpdateItem", "TransactWriteItems"}:
            for table, key in _updated_items(action, request.body):
                _item_updates[(table, key)] += 1


def _updated_items(action: str, body: bytes) -> list[tuple[str, str]]:
    try:
        request = json.loads(body)
    except ValueError:
        return []
    updates = [request] if action == "UpdateItem" else [item["Update"] for item in request.get("TransactItems", [])
                                                         if "Update" in item]
    return [(update.get("TableName", ""), json.dumps(update.get("Key", {}), sort_keys=True)) for update in updates]


def _snapshot() -> dict[str, Any]:
    with _lock:
        return {
            "requests": [{"service": s, "action": a, "caller": c, "count": n} for (s, a, c), n in _requests.items()],
            "batchEntries": dict(_batch_entries),
            "itemUpdates": [{"table": t, "key": json.loads(k), "count": n} for (t, k), n in _item_updates.items()],
            "writeUnits": [{"table": t, "index": i, "units": u}
                           for (t, i), u in consumed_capacity.write_units().items()],
        }


def _reset() -> None:
    with _lock:
        _requests.clear()
        _batch_entries.clear()
        _item_updates.clear()
        consumed_capacity.reset_write_units()


def _counting(call: Dispatch) -> Dispatch:
    def counting_call(
        self: DomainDispatcherApplication, environ: dict[str, Any], start_response: Any
    ) -> Iterable[bytes]:
        if environ.get("PATH_INFO") == PATH:
            if environ.get("REQUEST_METHOD") == "DELETE":
                _reset()
            start_response("200 OK", [("Content-Type", "application/json")])
            return [json.dumps(_snapshot()).encode()]
        _record(environ, read_request(environ))
        return call(self, environ, start_response)

    return counting_call


def install() -> None:
    """Count every request this process's moto server serves (the server calls it when asked to)."""
    consumed_capacity.start_counting()
    DomainDispatcherApplication.__call__ = _counting(  # type: ignore[method-assign,assignment]
        DomainDispatcherApplication.__call__
    )


@dataclass(frozen=True)
class RequestCounts:
    """What the emulator counted since its last reset."""

    requests: dict[tuple[str, str, str], int]  # (service, action, caller) -> requests
    batch_entries: dict[str, int]  # caller -> entries of its PublishBatch requests
    item_updates: dict[tuple[str, str], int]  # (table, key as sorted JSON) -> updates
    write_units: dict[tuple[str, str], float]  # (table, index; "" for the table itself) -> write units

    def by_action(self, excluding_caller: str | None = None) -> dict[tuple[str, str], int]:
        totals: Counter[tuple[str, str]] = Counter()
        for (service, action, caller), count in self.requests.items():
            if caller != excluding_caller:
                totals[(service, action)] += count
        return dict(totals)

    def updates_of(self, table: str, key: dict[str, Any]) -> int:
        return self.item_updates.get((table, json.dumps(key, sort_keys=True)), 0)


def read_counts(endpoint_url: str) -> RequestCounts:
    response = requests.get(endpoint_url + PATH, timeout=10)
    response.raise_for_status()
    body = response.json()
    return RequestCounts(
        requests={(r["service"], r["action"], r["caller"]): r["count"] for r in body["requests"]},
        batch_entries=body["batchEntries"],
        item_updates={(u["table"], json.dumps(u["key"], sort_keys=True)): u["count"] for u in body["itemUpdates"]},
        write_units={(w["table"], w["index"]): w["units"] for w in body["writeUnits"]},
    )


def reset_counts(endpoint_url: str) -> None:
    requests.delete(endpoint_url + PATH, timeout=10).raise_for_status()
