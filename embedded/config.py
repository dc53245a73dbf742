"""How to run the embedded system: ``SystemConfig``, its defaults what `make run` uses, read from the environment.

A variable the runner shares with a process it starts (``LIKE_MODE``, ``PIPELINE_VIEW``,
``WORKER_WAIT_SECONDS``...) is read through that process's own definition of it (:class:`Setting`),
so that a name, a parser or a default is written once; where `make run` wants another default (the
pipeline page on, status files in ``.run/status``), it says so here.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from deploy.local import MAX_RECEIVE_COUNT, PROJECT_NAME
from monolith.config import (
    ADOPT_MODE,
    CORS_ALLOWED_ORIGINS,
    LIKE_MODE,
    MARKER_TTL_SECONDS,
    PIPELINE_VIEW,
    SWITCH_CACHE_SECONDS,
    WORKER_STATUS_DIR,
    Mode,
)
from mysfits_common.settings import FULFIL_SECRET, switch, whole_number
from mysfits_common.worker_settings import WORKER_VISIBILITY_TIMEOUT, WORKER_WAIT_SECONDS

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
    project: str = PROJECT_NAME.default
    like_mode: Mode = LIKE_MODE.default
    adopt_mode: Mode = ADOPT_MODE.default
    run_workers: bool = True
    max_receive_count: int = MAX_RECEIVE_COUNT.default
    visibility_timeout: int = WORKER_VISIBILITY_TIMEOUT.default
    worker_wait_seconds: int = WORKER_WAIT_SECONDS.default
    marker_ttl_seconds: int | None = None  # None: the monolith's default
    count_requests: bool = False  # the emulator counts the requests it serves (embedded.emulator.request_count)
    fulfil_secret: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    cors_allowed_origins: tuple[str, ...] = CORS_ALLOWED_ORIGINS.default
    log_dir: Path | None = None  # None: children log to this console (the emulator always to a file)
    # Where the workers write their counters and last poll (``ops status`` and GET /pipeline read them).
    status_dir: Path = Path(".run/status")
    pipeline_view: bool = True  # GET /pipeline and the website's pipeline page
    switch_cache_seconds: float = SWITCH_CACHE_SECONDS.default
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
            project=PROJECT_NAME.read(env),
            like_mode=LIKE_MODE.read(env),
            adopt_mode=ADOPT_MODE.read(env),
            max_receive_count=MAX_RECEIVE_COUNT.read(env),
            visibility_timeout=WORKER_VISIBILITY_TIMEOUT.read(env),
            worker_wait_seconds=WORKER_WAIT_SECONDS.read(env),
            fulfil_secret=FULFIL_SECRET.read(env) or secrets.token_urlsafe(32),
            cors_allowed_origins=CORS_ALLOWED_ORIGINS.read(env),
            marker_ttl_seconds=MARKER_TTL_SECONDS.read(env) if env.get(MARKER_TTL_SECONDS.name) else None,
            status_dir=Path(WORKER_STATUS_DIR.read(env) or cls.status_dir),
            pipeline_view=replace(PIPELINE_VIEW, default=cls.pipeline_view).read(env),
            switch_cache_seconds=SWITCH_CACHE_SECONDS.read(env),
        )
