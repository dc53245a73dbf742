"""The public routes: the workshop's contract, with likes and adoptions accepted asynchronously."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request

from monolith.domain import Filter, Mysfit
from monolith.errors import ApiError
from monolith.http_input import checked_mysfit_id, correlation_id, current_service, idempotency_key, json_body
from monolith.service import Accepted
from mysfits_common.budgets import Deadline

bp = Blueprint("api", __name__)
_FILTER_VALUE_MAX = 32


def _summary(mysfit: Mysfit) -> dict[str, Any]:
    return {
        "mysfitId": mysfit.mysfit_id,
        "name": mysfit.name,
        "species": mysfit.species,
        "goodevil": mysfit.good_evil,
        "lawchaos": mysfit.law_chaos,
        "thumbImageUri": mysfit.thumb_image_uri,
        "likes": mysfit.likes,
        "adopted": mysfit.adopted,
    }


def _profile(mysfit: Mysfit) -> dict[str, Any]:
    return {
        **_summary(mysfit),
        "description": mysfit.description,
        "age": mysfit.age,
        "profileImageUri": mysfit.profile_image_uri,
    }


def _request_deadline() -> Deadline:
    """When this request must be answered (REQUEST_BUDGET_SECONDS): a 503 then, never a load balancer's 504."""
    return Deadline(current_app.config["REQUEST_BUDGET_SECONDS"])


def _accepted(accepted: Accepted) -> tuple[Response, int]:
    # 202, not 200: in queue mode the event is durably published but the worker has not run yet.
    status, code = ("processed", 200) if accepted.processed else ("accepted", 202)
    return jsonify({"status": status, "eventId": accepted.event.event_id}), code


@bp.get("/")
def root() -> Response:
    """The workshop's load-balancer health check: cheap, touches no dependency."""
    return jsonify({"status": "ok", "message": "Nothing here, used for health check. Try /mysfits instead."})


@bp.get("/health")
def health() -> Response:
    """Liveness, what the load balancer and ECS ask: cheap, touches no dependency (readiness: GET /ready)."""
    return jsonify({"status": "ok"})


@bp.get("/mysfits")
def list_mysfits() -> Response:
    """The catalogue, optionally filtered on GoodEvil or LawChaos through their indexes."""
    filter_name, value = request.args.get("filter"), request.args.get("value")
    by = None
    if filter_name is not None or value is not None:
        if filter_name not in {f.value for f in Filter}:
            raise ApiError(400, "invalid_filter", "filter must be GoodEvil or LawChaos")
        if not value or len(value) > _FILTER_VALUE_MAX or not (value.isascii() and value.isalpha()):
            raise ApiError(400, "invalid_filter_value", "value must be a word such as Good or Lawful")
        by = (Filter(filter_name), value)
    return jsonify({"mysfits": [_summary(m) for m in current_service().list_mysfits(by)]})


@bp.get("/mysfits/<mysfit_id>")
def get_mysfit(mysfit_id: str) -> Response:
    """One mysfit's profile."""
    return jsonify(_profile(current_service().get_mysfit(checked_mysfit_id(mysfit_id))))


@bp.post("/mysfits/<mysfit_id>/like")
def like(mysfit_id: str) -> tuple[Response, int]:
    """Accept a like; the like worker counts it. A retry with the same Idempotency-Key is the same like."""
    deadline = _request_deadline()
    json_body(required=False)
    service = current_service()
    return _accepted(
        service.request_like(checked_mysfit_id(mysfit_id), correlation_id(), idempotency_key(), deadline)
    )


@bp.post("/mysfits/<mysfit_id>/adopt")
def adopt(mysfit_id: str) -> tuple[Response, int]:
    """Accept an adoption request; the adoption worker decides it. Idempotent by Idempotency-Key too."""
    deadline = _request_deadline()
    json_body(required=False)
    service = current_service()
    return _accepted(
        service.request_adoption(checked_mysfit_id(mysfit_id), correlation_id(), idempotency_key(), deadline)
    )
