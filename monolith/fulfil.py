"""The internal fulfil routes the workers call: authenticated, idempotent by eventId.

Spelling: the routes keep the HTTP contract's ``fulfill-*`` (docs/openapi.yaml, which deployed
workers and the ALB's 403 rule already use); everything else (modules, functions, the
``FULFIL_SECRET*`` variables, the ``X-Fulfil-Secret`` header) says "fulfil", one spelling per layer.
"""

from __future__ import annotations

import hmac
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

from flask import Blueprint, Response, current_app, jsonify, request

from monolith.domain import AlreadyAdopted, MysfitNotFound, UnprocessableEvent
from monolith.errors import ApiError
from monolith.http_input import checked_mysfit_id, current_service, json_body
from mysfits_common.budgets import BUDGET_HEADER, Deadline
from mysfits_common.events import AdoptionRequested, Event, LikeRequested, parse_event
from mysfits_common.metrics import BatchCounts, emit_batch
from mysfits_common.monolith_client import FULFIL_SECRET_HEADER
from mysfits_common.outcomes import NOT_FOUND, Outcome, to_word

bp = Blueprint("fulfil", __name__)
# What a worker may hand over at once: one transaction's worth at most (a marker per event, an ADD per
# mysfit, 100 items); the repository cuts a batch whose mysfits push it over into two.
MAX_BATCH = 100
# Its body: about 250 bytes an event; a batch route's own limit, the public routes keep theirs.
BATCH_BODY_BYTES = 64 * 1024
E = TypeVar("E", bound=Event)


def _authenticate() -> None:
    expected: str = current_app.config["FULFIL_SECRET"]
    given = request.headers.get(FULFIL_SECRET_HEADER, "")
    # compare_digest: the time taken must not tell an attacker how much of the secret matched.
    if not expected or not hmac.compare_digest(given.encode(), expected.encode()):
        raise ApiError(401, "unauthorized", f"a valid {FULFIL_SECRET_HEADER} header is required")


def _deadline() -> Deadline:
    """The calling worker's budget for this call (BUDGET_HEADER): the work stops before it gives up."""
    return Deadline.for_caller(request.headers.get(BUDGET_HEADER))


def _event_for(mysfit_id: str, expected: type[E]) -> E:
    _authenticate()
    event = parse_event(json_body(required=True))
    if not isinstance(event, expected):
        raise ApiError(400, "wrong_event_type", f"expected {expected.event_type}, got {event.event_type}")
    if event.mysfit_id != checked_mysfit_id(mysfit_id):
        raise ApiError(400, "mysfit_mismatch", "the event's mysfitId does not match the URL")
    return event


def _outcome_of(result: Outcome | Exception) -> Outcome:
    """What became of an event: the service's outcome, or what the failure it raised or gave means."""
    if isinstance(result, Outcome):
        return result
    if isinstance(result, AlreadyAdopted):
        return Outcome.REJECTED
    if isinstance(result, MysfitNotFound | UnprocessableEvent):
        return Outcome.FAILED
    return Outcome.RETRIED  # a dependency failed, or the item stayed busy: the worker retries


def batch_word(result: Outcome | Exception) -> str:
    """An event's result as the batch route answers it (docs/openapi.yaml): its outcome's word, or
    ``not_found`` for a failure because there is no such mysfit."""
    return NOT_FOUND if isinstance(result, MysfitNotFound) else to_word(_outcome_of(result))


@contextmanager
def _metrics(event_type: str) -> Iterator[Callable[[Outcome | Exception], None]]:
    """One EMF line per fulfil call (a whole batch of likes, or one event): what became of each event."""
    counts, started = BatchCounts(), time.monotonic()
    try:
        yield lambda result: counts.add(_outcome_of(result))
    except Exception as error:
        counts.add(_outcome_of(error))
        raise
    finally:
        counts.handling_ms = (time.monotonic() - started) * 1000
        emit_batch("monolith", event_type, counts)


def _fulfil_one(mysfit_id: str, kind: type[E], fulfil: Callable[[E, Deadline], Outcome]) -> Response:
    event = _event_for(mysfit_id, kind)
    with _metrics(kind.event_type) as count:
        outcome = fulfil(event, _deadline())
        count(outcome)
    return jsonify({"status": to_word(outcome), "eventId": event.event_id})


@bp.post("/mysfits/<mysfit_id>/fulfill-like")
def fulfil_like(mysfit_id: str) -> Response:
    """Count a like exactly once per eventId; a replay answers 200 and changes nothing."""
    return _fulfil_one(mysfit_id, LikeRequested, current_service().fulfil_like)


@bp.post("/mysfits/<mysfit_id>/fulfill-adopt")
def fulfil_adopt(mysfit_id: str) -> Response:
    """Adopt exactly once: the first event wins, its replays answer 200, rivals answer 409."""
    return _fulfil_one(mysfit_id, AdoptionRequested, current_service().fulfil_adoption)


@bp.post("/mysfits/batch/fulfill-likes")
def fulfil_likes() -> Response:
    """Count a batch of likes in one transaction, each exactly once; a status per event."""
    _authenticate()
    request.max_content_length = BATCH_BODY_BYTES
    raw = json_body(required=True).get("events")
    if not isinstance(raw, list) or not 1 <= len(raw) <= MAX_BATCH or not all(isinstance(e, dict) for e in raw):
        raise ApiError(400, "invalid_batch", f"events must be a list of 1 to {MAX_BATCH} event objects")
    events = [parse_event(message) for message in raw]
    likes = [event for event in events if isinstance(event, LikeRequested)]
    if len(likes) != len(events):
        raise ApiError(400, "wrong_event_type", "a like batch holds LikeRequested events only")
    with _metrics(LikeRequested.event_type) as count:
        results = current_service().fulfil_likes(likes, _deadline())
        for result in results.values():
            count(result)
    return jsonify({"results": [{"eventId": e.event_id, "status": batch_word(results[e.event_id])} for e in likes]})
