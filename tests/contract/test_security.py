"""Bad input and the fulfil secret against the live monolith: refused as JSON, nothing written, nothing leaked."""

from __future__ import annotations

import json
import re
import secrets
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
import requests

from embedded.system import EmbeddedSystem
from monolith.config import Settings
from mysfits_common.events import CORRELATION_HEADER, CORRELATION_ID_PATTERN, AdoptionRequested, LikeRequested
from mysfits_common.monolith_client import FULFIL_SECRET_HEADER
from tests.e2e.client import Api, Aws, eventually

pytestmark = pytest.mark.e2e

ACTIONS = ("fulfill-like", "fulfill-adopt")
MAX_BODY_BYTES = Settings.max_body_bytes  # the embedded system runs the monolith with the default
GUNICORN_LINE = re.compile(r"^\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d [+-]\d{4}\] \[\d+\] \[[A-Z]+\] ")


def assert_json_error(response: requests.Response, *statuses: int) -> None:
    assert response.status_code in statuses, f"{response.status_code}: {response.text[:200]}"
    assert response.headers["Content-Type"] == "application/json"
    assert set(response.json()["error"]) == {"code", "message"}
    assert CORRELATION_ID_PATTERN.fullmatch(response.headers[CORRELATION_HEADER])


def event_for(action: str, mysfit_id: str) -> dict[str, Any]:
    event_type = LikeRequested if action == "fulfill-like" else AdoptionRequested
    return event_type(mysfit_id=mysfit_id).to_message()


def item_counts(aws: Aws) -> dict[str, int]:
    """Items in the catalogue and the processed-events table (consistent reads)."""
    counts: dict[str, int] = {}
    for table in (aws.topology.mysfits_table, aws.topology.processed_events_table):
        pages = aws.dynamodb.get_paginator("scan").paginate(TableName=table, Select="COUNT", ConsistentRead=True)
        counts[table] = sum(page["Count"] for page in pages)
    return counts


@pytest.fixture
def secret(system: EmbeddedSystem) -> str:
    return system.config.fulfil_secret


@pytest.fixture
def mysfit_id(aws: Aws) -> str:
    return aws.add_mysfit(f"security-{uuid.uuid4()}")


@pytest.fixture
def untouched(api: Api, aws: Aws, mysfit_id: str) -> Iterator[None]:
    """GIVEN a settled system, THEN the test leaves the tables and its mysfit as they were."""
    eventually(aws.drained, bool)  # likes accepted by earlier tests may still be on their way
    before = item_counts(aws)
    yield
    assert item_counts(aws) == before
    assert api.mysfit(mysfit_id)["likes"] == 0
    assert api.mysfit(mysfit_id)["adopted"] is False
    assert aws.outcomes(mysfit_id) == {}


# -- the fulfil secret ------------------------------------------------------------------------


@pytest.mark.usefixtures("untouched")
@pytest.mark.parametrize("action", ACTIONS)
def test_fulfil_without_the_secret_is_401(internal: Api, mysfit_id: str, action: str) -> None:
    event = event_for(action, mysfit_id)

    assert_json_error(internal.post(f"/mysfits/{mysfit_id}/{action}", json=event), 401)
    empty = {FULFIL_SECRET_HEADER: ""}
    assert_json_error(internal.post(f"/mysfits/{mysfit_id}/{action}", json=event, headers=empty), 401)


WRONG_SECRETS: dict[str, Callable[[str], str]] = {
    "random-same-length": lambda real: secrets.token_urlsafe(len(real))[: len(real)],
    "last-char-changed": lambda real: real[:-1] + ("A" if real[-1] != "A" else "B"),
    "first-char-changed": lambda real: ("A" if real[0] != "A" else "B") + real[1:],
    "prefix": lambda real: real[:-1],
    "extended": lambda real: real + "A",
    "case-swapped": lambda real: real.swapcase(),
    "doubled": lambda real: real * 2,
    "guess": lambda real: "guess",
}


@pytest.mark.usefixtures("untouched")
@pytest.mark.parametrize("action", ACTIONS)
@pytest.mark.parametrize("make_wrong", WRONG_SECRETS.values(), ids=WRONG_SECRETS.keys())
def test_fulfil_with_a_wrong_secret_is_401(
    internal: Api, mysfit_id: str, secret: str, action: str, make_wrong: Callable[[str], str]
) -> None:
    wrong = make_wrong(secret)
    assert wrong != secret

    response = internal.post(f"/mysfits/{mysfit_id}/{action}", json=event_for(action, mysfit_id),
                        headers={FULFIL_SECRET_HEADER: wrong})

    assert_json_error(response, 401)
    assert wrong not in response.text and secret not in response.text


@pytest.mark.parametrize("action", ACTIONS)
def test_fulfil_with_the_secret_is_applied(internal: Api, mysfit_id: str, secret: str, action: str) -> None:
    # The control for the 401s above: the same request with the real secret goes through.
    event = event_for(action, mysfit_id)

    response = internal.post(f"/mysfits/{mysfit_id}/{action}", json=event, headers={FULFIL_SECRET_HEADER: secret})

    assert response.status_code == 200
    assert response.json() == {"status": "applied", "eventId": event["eventId"]}


def test_a_replay_spelled_differently_is_refused_not_counted_again(
    api: Api, internal: Api, aws: Aws, mysfit_id: str, secret: str
) -> None:
    # uuid.UUID() also reads "{...}", "urn:uuid:..." and upper case; each spelling would get its own marker.
    event = event_for("fulfill-like", mysfit_id)
    url, with_secret = f"/mysfits/{mysfit_id}/fulfill-like", {FULFIL_SECRET_HEADER: secret}
    assert internal.post(url, json=event, headers=with_secret).status_code == 200

    for spelling in [event["eventId"].upper(), "{" + event["eventId"] + "}", "urn:uuid:" + event["eventId"]]:
        assert_json_error(internal.post(url, json={**event, "eventId": spelling}, headers=with_secret), 400)

    assert api.likes(mysfit_id) == 1
    assert aws.outcomes(mysfit_id) == {"applied": 1}


@pytest.mark.usefixtures("untouched")
@pytest.mark.parametrize(
    "path",
    [
        "/mysfits/{id}/fulfill-like",
        "/mysfits/{id}/%66ulfill-like",
        "/mysfits/{id}/FULFILL-LIKE",
        "/mysfits/{id}//fulfill-like",
        "/mysfits/x/../{id}/fulfill-like",
        "/mysfits/batch/fulfill-likes",
        "/ready",
    ],
)
def test_the_public_port_cannot_reach_an_internal_route_however_spelled(
    api: Api, mysfit_id: str, secret: str, path: str
) -> None:
    url = api.base_url + path.format(id=mysfit_id)
    event = event_for("fulfill-like", mysfit_id)

    # raw: requests would normalise the dot segments and the encoding away
    prepared = requests.Request("POST", url, json=event, headers={FULFIL_SECRET_HEADER: secret}).prepare()
    prepared.url = url
    with requests.Session() as session:
        response = session.send(prepared, timeout=10)

    assert_json_error(response, 404)


@pytest.mark.parametrize("path", ["/", "/health", "/mysfits", "/mysfits/{id}", "/no-such-route"])
def test_public_routes_do_not_expose_the_fulfil_routes(api: Api, mysfit_id: str, secret: str, path: str) -> None:
    response = api.get(path.format(id=mysfit_id))
    options = requests.options(api.base_url + path.format(id=mysfit_id), timeout=10)

    exposed = response.text + json.dumps(dict(response.headers)) + options.headers.get("Allow", "")
    assert "fulfil" not in exposed.lower()
    assert secret not in exposed


# -- bodies -----------------------------------------------------------------------------------


def _padded(document: dict[str, Any]) -> bytes:
    """Valid JSON one byte over the limit, so only the size can be the reason to refuse it."""
    text = json.dumps(document).encode()
    return text + b" " * (MAX_BODY_BYTES + 1 - len(text))


def _chunks(body: bytes) -> Iterator[bytes]:
    # A generator makes requests send Transfer-Encoding: chunked, with no Content-Length to check.
    for start in range(0, len(body), 4096):
        yield body[start : start + 4096]


@pytest.mark.usefixtures("untouched")
@pytest.mark.parametrize("framing", ["content-length", "chunked"])
@pytest.mark.parametrize("action", ["like", "adopt", *ACTIONS])
def test_an_oversized_body_is_413(internal: Api, mysfit_id: str, secret: str, action: str, framing: str) -> None:
    body = _padded(event_for(action, mysfit_id) if action in ACTIONS else {})
    assert len(body) == MAX_BODY_BYTES + 1

    response = internal.post(
        f"/mysfits/{mysfit_id}/{action}",
        data=body if framing == "content-length" else _chunks(body),
        headers={"Content-Type": "application/json", FULFIL_SECRET_HEADER: secret},
    )

    assert_json_error(response, 413)


@pytest.mark.usefixtures("untouched")
@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", "application/xml"])
@pytest.mark.parametrize("action", ["like", "adopt", *ACTIONS])
def test_a_body_that_is_not_json_is_415(
    internal: Api, mysfit_id: str, secret: str, action: str, content_type: str
) -> None:
    # The body itself is valid JSON: the media type alone must decide.
    body = json.dumps(event_for(action, mysfit_id) if action in ACTIONS else {})

    response = internal.post(f"/mysfits/{mysfit_id}/{action}", data=body,
                        headers={"Content-Type": content_type, FULFIL_SECRET_HEADER: secret})

    assert_json_error(response, 415)


# -- ids and query values outside their patterns ----------------------------------------------

BAD_IDS = {
    "too-long": "a" * 65,
    "dot": "a.b",
    "dots": "a..b",
    "dots-only": "...",
    "leading-hyphen": "-abc",
    "unicode": "m\u00ffsfit",
    "emoji": "\U0001f600",
    "encoded-slash": "a%2Fb",
    "space": "a%20b",
    "nul": "%00",
    "trailing-newline": "abc%0A",
    "quote": "a%27b",
}


@pytest.mark.usefixtures("untouched")
@pytest.mark.parametrize("bad_id", BAD_IDS.values(), ids=BAD_IDS.keys())
def test_an_id_outside_the_pattern_is_refused_and_writes_nothing(
    internal: Api, mysfit_id: str, secret: str, bad_id: str
) -> None:
    with_secret = {FULFIL_SECRET_HEADER: secret}
    responses = [
        internal.get(f"/mysfits/{bad_id}"),
        internal.post(f"/mysfits/{bad_id}/like"),
        internal.post(f"/mysfits/{bad_id}/adopt"),
        # A valid event for a real mysfit behind a bad URL: the URL must not lead to a write.
        *(internal.post(f"/mysfits/{bad_id}/{action}", json=event_for(action, mysfit_id), headers=with_secret)
          for action in ACTIONS),
    ]

    for response in responses:
        assert_json_error(response, 400, 404)


def test_an_id_outside_the_pattern_is_not_looked_up(api: Api, aws: Aws) -> None:
    # GIVEN an item whose id the pattern refuses (only a direct write can create it)
    stored = aws.add_mysfit(f"newline-{uuid.uuid4()}\n")
    try:
        # WHEN it is asked for, THEN the answer is 404: the id was refused before any read
        assert_json_error(api.get("/mysfits/" + quote(stored, safe="")), 404)
    finally:
        aws.dynamodb.delete_item(TableName=aws.topology.mysfits_table, Key={"MysfitId": {"S": stored}})


QUERIES = {
    "unknown-filter": {"filter": "Colour", "value": "Blue"},
    "filter-in-lower-case": {"filter": "goodevil", "value": "Good"},
    "filter-without-value": {"filter": "GoodEvil"},
    "value-without-filter": {"value": "Good"},
    "empty-value": {"filter": "GoodEvil", "value": ""},
    "value-with-digits": {"filter": "GoodEvil", "value": "Good1"},
    "value-too-long": {"filter": "LawChaos", "value": "a" * 33},
    "value-with-injection": {"filter": "GoodEvil", "value": "Good' OR '1'='1"},
    "value-not-ascii": {"filter": "GoodEvil", "value": "G\u00f6\u00f6d"},
}


@pytest.mark.parametrize("query", QUERIES.values(), ids=QUERIES.keys())
def test_a_query_outside_the_document_is_400(api: Api, query: dict[str, str]) -> None:
    assert_json_error(api.get("/mysfits", params=query), 400)


# -- logs: last, so that they hold everything this session sent -------------------------------


def _read(path: Path) -> str:
    return path.read_text(encoding="utf-8", errors="replace")


def _mentions(path: Path, text: str) -> Callable[[], bool]:
    return lambda: text in _read(path)


def test_logs_are_json_with_correlation_ids_and_hold_no_secret_and_no_body(
    api: Api, internal: Api, aws: Aws, system: EmbeddedSystem, mysfit_id: str, secret: str, emulator_log: Path
) -> None:
    # GIVEN traffic that carries a canary in every body and a wrong secret
    canary = f"canary-{uuid.uuid4().hex}"
    wrong_secret = f"wrong-{secrets.token_urlsafe(24)}"
    correlation_id = f"contract-logs-{uuid.uuid4().hex}"
    traced = {CORRELATION_HEADER: correlation_id}
    like_event = {**event_for("fulfill-like", mysfit_id), "note": canary}
    assert api.post(f"/mysfits/{mysfit_id}/like", json={"note": canary}, headers=traced).status_code == 202
    assert api.post(f"/mysfits/{mysfit_id}/adopt", json={"note": canary}, headers=traced).status_code == 202
    assert internal.post(f"/mysfits/{mysfit_id}/fulfill-like", json=like_event,
                         headers={FULFIL_SECRET_HEADER: secret}).status_code == 200
    assert internal.post(f"/mysfits/{mysfit_id}/fulfill-like", json=like_event,
                         headers={FULFIL_SECRET_HEADER: wrong_secret}).status_code == 401
    assert api.post(f"/mysfits/{mysfit_id}/like", data='{"broken": "' + canary,
                    headers={"Content-Type": "application/json"}).status_code == 400
    aws.publish(json.dumps({"note": canary}), "LikeRequested")  # a poison message, for the worker's error path

    # WHEN the workers have handled all of it
    log_dir = system.config.log_dir
    assert log_dir is not None
    worker_logs = {name: log_dir / f"{name}.log" for name in ("like_worker", "adopt_worker")}
    for path in worker_logs.values():
        eventually(_mentions(path, correlation_id), bool)
    eventually(aws.drained, bool)
    dlq = aws.topology.queues["like"].dlq_url
    eventually(lambda: aws.depth(dlq), lambda depth: depth >= 1)
    assert any(canary in body for body in aws.take_all(dlq))  # and the DLQ is left empty for others

    # THEN no log holds a secret or a body, and every line of ours is JSON with its correlation id
    logs = {"monolith": log_dir / "monolith.log", **worker_logs}
    for name, path in {**logs, "emulator": emulator_log}.items():
        text = _read(path)
        assert secret not in text, f"the fulfil secret is in {name}'s log"
        assert wrong_secret not in text, f"a presented secret is in {name}'s log"
    for name, path in logs.items():
        for line in _read(path).splitlines():
            if GUNICORN_LINE.match(line):
                continue
            entry = json.loads(line)  # fails on a line that is not JSON: a print, a bare traceback
            assert canary not in line, f"{name} logged a request or message body: {line}"
            if entry.get("logger") == "monolith.requests" or "eventId" in entry:
                assert CORRELATION_ID_PATTERN.fullmatch(str(entry.get("correlationId", ""))), line
