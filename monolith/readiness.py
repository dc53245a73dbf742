"""Readiness: whether DynamoDB and SNS answer, for operators and the system's own checks.

Not what the load balancer or ECS ask (``GET /health`` is liveness): a dependency that is down is
down for every task alike, and taking them all out of service turns a degraded API into none. Nor
is it public: CloudFront forwards no path to it, and each answer is cached a few seconds
(:meth:`MysfitsService.readiness`), since the checks call rate-limited APIs.
"""

from __future__ import annotations

from flask import Blueprint, Response, jsonify

from monolith.http_input import current_service

bp = Blueprint("readiness", __name__)


@bp.get("/ready")
def ready() -> tuple[Response, int]:
    """200 when every dependency answers, else 503 naming what does not."""
    checks = current_service().readiness()
    is_ready = all(result == "ok" for result in checks.values())
    return jsonify({"ready": is_ready, "checks": checks}), 200 if is_ready else 503
