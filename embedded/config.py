"""How to run the embedded system: ``SystemConfig``, its defaults what `make run` uses, read from the environment."""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from mysfits_common.settings import switch, whole_number

__all__ = ["SystemConfig"]


@dataclass
class SystemConfig:
    """How to run the embedded system; the defaults are what `make run` uses."""

    api_port: int = 8080
    # The monolith's internal routes (fulfil, readiness), which only the workers call; 0: any free port.
    internal_port: int = 0
    website_port: int = 8081  # 0: any free port
    serve_website: bool = True
    emulator_port: int = 4566
    endpoint_url: str | None = None  # an emulator that is already running (e.g. LocalStack)
    region: str = "us-east-1"
    project: str = "mysfits"
    like_mode: str = "queue"
    adopt_mode: str = "queue"
    run_workers: bool = True
    max_receive_count: int = 5
    visibility_timeout: int = 30
    worker_wait_seconds: int = 20
    marker_ttl_seconds: int | None = None  # None: the monolith's default (7 days)
    count_requests: bool = False  # the emulator counts the requests it serves (embedded.emulator.request_count)
    fulfil_secret: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    cors_allowed_origins: str = ""
    log_dir: Path | None = None  # None: children log to this console (the emulator always to a file)
    # Where the workers write their counters and last poll (``ops status`` and GET /pipeline read them).
    status_dir: Path = Path(".run/status")
    pipeline_view: bool = True  # GET /pipeline and the website's pipeline page
    switch_cache_seconds: float = 3.0
    extra_env: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> SystemConfig:
        return cls(
            api_port=whole_number(env, "API_PORT", cls.api_port),
            internal_port=whole_number(env, "INTERNAL_API_PORT", cls.internal_port),
            website_port=whole_number(env, "WEBSITE_PORT", cls.website_port),
            serve_website=switch(env, "SERVE_WEBSITE", cls.serve_website),
            emulator_port=whole_number(env, "EMULATOR_PORT", cls.emulator_port),
            endpoint_url=env.get("AWS_ENDPOINT_URL") or None,
            region=env.get("AWS_DEFAULT_REGION", cls.region),
            project=env.get("PROJECT_NAME", cls.project),
            like_mode=env.get("LIKE_MODE", cls.like_mode),
            adopt_mode=env.get("ADOPT_MODE", cls.adopt_mode),
            max_receive_count=whole_number(env, "MAX_RECEIVE_COUNT", cls.max_receive_count),
            visibility_timeout=whole_number(env, "WORKER_VISIBILITY_TIMEOUT", cls.visibility_timeout),
            worker_wait_seconds=whole_number(env, "WORKER_WAIT_SECONDS", cls.worker_wait_seconds),
            fulfil_secret=env.get("FULFIL_SECRET") or secrets.token_urlsafe(32),
            cors_allowed_origins=env.get("CORS_ALLOWED_ORIGINS", ""),
            marker_ttl_seconds=whole_number(env, "MARKER_TTL_SECONDS", 0) if env.get("MARKER_TTL_SECONDS") else None,
            status_dir=Path(env.get("WORKER_STATUS_DIR", str(cls.status_dir))),
            pipeline_view=switch(env, "PIPELINE_VIEW", cls.pipeline_view),
        )
