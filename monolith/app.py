"""The application factory."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from flask import Blueprint, Flask, Response, g, request

from monolith import api, fulfil, pipeline, readiness
from monolith.config import Settings
from monolith.dynamodb import DynamoMysfitRepository
from monolith.errors import register_error_handlers
from monolith.http_input import correlation_id
from monolith.service import MysfitsService
from monolith.switch import Feature, FixedModes, ModeSource, ParameterModes
from mysfits_common import aws
from mysfits_common.budgets import BOUNDED
from mysfits_common.events import CORRELATION_HEADER, IDEMPOTENCY_HEADER
from mysfits_common.publish_batcher import BatchingPublisher
from mysfits_common.publisher import EventPublisher, SnsPublisher

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

logger = logging.getLogger("monolith.requests")
# The services the app makes clients of (gunicorn's master preloads them before it forks).
AWS_SERVICES = ("dynamodb", "sns", "ssm", "sqs")
_ALLOWED_HEADERS = f"Content-Type, {CORRELATION_HEADER}, {IDEMPOTENCY_HEADER}"


def build_service(settings: Settings) -> MysfitsService:
    """The service over DynamoDB and SNS; clients are built here, never at import, each call bounded
    so that a request's budget holds (mysfits_common.budgets)."""
    repository = DynamoMysfitRepository(
        aws.client("dynamodb", config=BOUNDED),
        settings.mysfits_table,
        settings.processed_events_table,
        marker_ttl_seconds=settings.marker_ttl_seconds,
    )
    publisher: EventPublisher = SnsPublisher(settings.events_topic_arn, aws.client("sns", config=BOUNDED))
    if settings.publish_batch_entries > 1:
        publisher = BatchingPublisher(
            publisher, settings.publish_batch_entries, linger_seconds=settings.publish_linger_ms / 1000
        )
    return MysfitsService(repository, publisher, modes=build_modes(settings))


def build_modes(settings: Settings) -> ModeSource:
    """The strangler switch: SSM parameters when configured, else the environment's modes."""
    fixed = FixedModes(settings.like_mode, settings.adopt_mode)
    names: dict[Feature, str] = {"like": settings.like_mode_parameter, "adopt": settings.adopt_mode_parameter}
    if not any(names.values()):
        return fixed
    return ParameterModes(aws.client("ssm", config=BOUNDED), names, fixed, cache_seconds=settings.switch_cache_seconds)


def build_pipeline_view(settings: Settings, service: MysfitsService) -> pipeline.PipelineView:
    """The counts-only view of the queues behind GET /pipeline (built only when PIPELINE_VIEW is on)."""
    queues = {
        "like": pipeline.QueueUrls(settings.like_queue_url, settings.like_dlq_url),
        "adoption": pipeline.QueueUrls(settings.adoption_queue_url, settings.adoption_dlq_url),
    }
    return pipeline.PipelineView(aws.client("sqs"), queues, service, settings.worker_status_dir)


#: What the load balancer may reach, and what only the workers' port serves besides.
PUBLIC_BLUEPRINTS = (api.bp, pipeline.bp)
INTERNAL_BLUEPRINTS = (fulfil.bp, readiness.bp)


def create_app(settings: Settings | None = None, *, service: MysfitsService | None = None) -> Flask:
    """Every route; with ``settings.internal_port``, a request on any other port is served by an app
    that has the public routes only, so no public path can reach an internal one however it is
    spelled (the load balancer's target group and security group know the public port alone)."""
    settings = settings or Settings.from_env()
    service = service or build_service(settings)
    extensions: dict[str, object] = {"mysfits_service": service}
    if settings.pipeline_view:
        extensions["pipeline_view"] = build_pipeline_view(settings, service)
    app = _flask_app(settings, extensions, (*PUBLIC_BLUEPRINTS, *INTERNAL_BLUEPRINTS))
    if settings.internal_port:
        public = _flask_app(settings, extensions, PUBLIC_BLUEPRINTS)
        app.wsgi_app = _ByPort(str(settings.internal_port), internal=app.wsgi_app, public=public.wsgi_app)  # type: ignore[method-assign]
    return app


def _flask_app(settings: Settings, extensions: dict[str, object], blueprints: Sequence[Blueprint]) -> Flask:
    app = Flask(__name__, static_folder=None)  # an API: no static route
    app.config.update(
        MAX_CONTENT_LENGTH=settings.max_body_bytes,
        FULFIL_SECRET=settings.fulfil_secret,
        REQUEST_BUDGET_SECONDS=settings.request_budget_seconds,
        JSON_SORT_KEYS=False,
    )
    app.extensions.update(extensions)
    for blueprint in blueprints:
        app.register_blueprint(blueprint)
    register_error_handlers(app)
    _add_request_hooks(app, settings)
    return app


@dataclass(frozen=True)
class _ByPort:
    """WSGI: a request that arrived on ``port`` goes to ``internal``, any other to ``public``.
    SERVER_PORT is the port of the socket gunicorn accepted it on, never a client's header."""

    port: str
    internal: WSGIApplication
    public: WSGIApplication

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        chosen = self.internal if environ.get("SERVER_PORT") == self.port else self.public
        return chosen(environ, start_response)


def close_app(app: Flask) -> None:
    """Once the process takes no more requests (gunicorn's worker_exit): publish what still waits."""
    service: MysfitsService = app.extensions["mysfits_service"]
    service.close()


def _add_request_hooks(app: Flask, settings: Settings) -> None:
    allowed_origins = set(settings.cors_allowed_origins)

    @app.before_request
    def start_timer() -> None:
        g.started = time.monotonic()

    @app.after_request
    def finish(response: Response) -> Response:
        response.headers[CORRELATION_HEADER] = correlation_id()
        origin = request.headers.get("Origin")
        if origin and (origin in allowed_origins or "*" in allowed_origins):
            response.headers["Access-Control-Allow-Origin"] = origin
            response.headers["Access-Control-Allow-Methods"] = "GET, POST, OPTIONS"
            response.headers["Access-Control-Allow-Headers"] = _ALLOWED_HEADERS
            # Retry-After is not a CORS-safelisted response header: unexposed, the site cannot honour it.
            response.headers["Access-Control-Expose-Headers"] = f"{CORRELATION_HEADER}, Retry-After"
            response.headers["Access-Control-Max-Age"] = "600"
            response.vary.add("Origin")
        # Paths only, never bodies or headers: the fulfil secret must not reach the logs.
        logger.info(
            "request",
            extra={
                "method": request.method,
                "path": request.path,
                "status": response.status_code,
                "durationMs": round((time.monotonic() - g.get("started", time.monotonic())) * 1000, 1),
                "correlationId": correlation_id(),
            },
        )
        return response
