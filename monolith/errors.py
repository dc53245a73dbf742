"""Every error the API answers, as JSON, mapped from exceptions in this one place."""

from __future__ import annotations

import logging

from flask import Flask, Response, jsonify
from werkzeug.exceptions import HTTPException

from monolith.domain import (
    AlreadyAdopted,
    CorruptRecord,
    DependencyUnavailable,
    ItemBusy,
    MysfitNotFound,
    UnprocessableEvent,
)
from mysfits_common.events import InvalidEvent

logger = logging.getLogger(__name__)
RETRY_AFTER_SECONDS = 5
BUSY_RETRY_AFTER_SECONDS = 1  # contention on one item passes in moments


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


def error_response(status: int, code: str, message: str) -> Response:
    response = jsonify({"error": {"code": code, "message": message}})
    response.status_code = status
    return response


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(ApiError)
    def api_error(error: ApiError) -> Response:
        return error_response(error.status, error.code, error.message)

    @app.errorhandler(MysfitNotFound)
    def not_found(error: MysfitNotFound) -> Response:
        return error_response(404, "mysfit_not_found", str(error))

    @app.errorhandler(AlreadyAdopted)
    def already_adopted(error: AlreadyAdopted) -> Response:
        return error_response(409, "already_adopted", str(error))

    @app.errorhandler(UnprocessableEvent)
    def unprocessable(error: UnprocessableEvent) -> Response:
        logger.error("Event cannot be applied", extra={"mysfitId": error.mysfit_id, "error": str(error)})
        return error_response(422, "unprocessable_event", str(error))

    @app.errorhandler(CorruptRecord)
    def corrupt(error: CorruptRecord) -> Response:
        logger.error("Corrupt mysfit", extra={"mysfitId": error.mysfit_id, "error": str(error)})
        return error_response(500, "corrupt_record", str(error))

    @app.errorhandler(InvalidEvent)
    def invalid_event(error: InvalidEvent) -> Response:
        return error_response(400, "invalid_event", str(error))

    @app.errorhandler(DependencyUnavailable)
    def unavailable(error: DependencyUnavailable) -> Response:
        logger.warning("Dependency unavailable", extra={"error": str(error)})
        response = error_response(503, "service_unavailable", "a dependency is unavailable; retry later")
        response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response

    @app.errorhandler(ItemBusy)
    def busy(error: ItemBusy) -> Response:
        logger.warning("Item busy", extra={"error": str(error)})
        response = error_response(503, "item_busy", "the mysfit is busy; retry in a moment")
        response.headers["Retry-After"] = str(BUSY_RETRY_AFTER_SECONDS)
        return response

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> Response:
        code = (error.name or "error").lower().replace(" ", "_")
        response = error_response(error.code or 500, code, error.description or code)
        if error.code == 405 and error.response is None:
            allowed = getattr(error, "valid_methods", None) or []
            response.headers["Allow"] = ", ".join(allowed)
        return response

    @app.errorhandler(Exception)
    def unexpected(error: Exception) -> Response:
        logger.exception("Unhandled error")
        return error_response(500, "internal_error", "internal error")
