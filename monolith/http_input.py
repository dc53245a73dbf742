"""What a request handler reads: validated ids, correlation ids and JSON bodies, and the app's service."""

from __future__ import annotations

import json
import re
from typing import Any

from flask import current_app, g, request
from werkzeug.exceptions import RequestEntityTooLarge

from monolith.errors import ApiError
from monolith.service import MysfitsService
from mysfits_common.events import (
    CORRELATION_HEADER,
    CORRELATION_ID_PATTERN,
    IDEMPOTENCY_HEADER,
    MYSFIT_ID_PATTERN,
    new_correlation_id,
)

# The IETF draft's value is a Structured Field string: quoted, printable ASCII. The quotes are optional here.
_IDEMPOTENCY_KEY = re.compile(r'[\x21\x23-\x5b\x5d-\x7e]{1,255}')


def current_service() -> MysfitsService:
    """The service of the app serving this request (``create_app`` puts it there)."""
    service: MysfitsService = current_app.extensions["mysfits_service"]
    return service


def checked_mysfit_id(mysfit_id: str) -> str:
    """An id outside the pattern cannot exist: answer 404 without asking DynamoDB."""
    # fullmatch, not match: the pattern's `$` also matches before a trailing newline.
    if not MYSFIT_ID_PATTERN.fullmatch(mysfit_id):
        raise ApiError(404, "mysfit_not_found", f"no mysfit with id {mysfit_id[:64]}")
    return mysfit_id


def correlation_id() -> str:
    """The caller's X-Correlation-Id when it is well-formed, else a new one (once per request)."""
    if "correlation_id" not in g:
        given = request.headers.get(CORRELATION_HEADER, "")
        g.correlation_id = given if CORRELATION_ID_PATTERN.fullmatch(given) else new_correlation_id()
    return str(g.correlation_id)


def idempotency_key() -> str | None:
    """The request's ``Idempotency-Key`` (its surrounding quotes removed), None without one; 400 if malformed."""
    given = request.headers.get(IDEMPOTENCY_HEADER)
    if given is None:
        return None
    key = given[1:-1] if len(given) >= 2 and given[0] == given[-1] == '"' else given
    if not _IDEMPOTENCY_KEY.fullmatch(key):
        raise ApiError(
            400, "invalid_idempotency_key", f"{IDEMPOTENCY_HEADER} must be 1 to 255 printable ASCII characters"
        )
    return key


def json_body(*, required: bool) -> dict[str, Any]:
    """The request's JSON object; 415 for another content type, 400 for malformed JSON."""
    raw = request.get_data(cache=True)  # raises 413 past the request's max_content_length
    limit = request.max_content_length
    if request.content_length is None and limit is not None and len(raw) >= limit:
        # A chunked body is cut at the limit, not refused: one that reaches it may have had more.
        raise RequestEntityTooLarge()
    if not raw:
        if required:
            raise ApiError(400, "body_required", "a JSON body is required")
        return {}
    if not request.is_json:
        raise ApiError(415, "unsupported_media_type", "send the body as application/json")
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise ApiError(400, "malformed_json", "the body is not valid JSON") from None
    if not isinstance(body, dict):
        raise ApiError(400, "malformed_json", "the body must be a JSON object")
    return body
