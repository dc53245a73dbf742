"""The monolith's settings: one frozen object over the environment, with local defaults."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Literal, cast

from mysfits_common.budgets import REQUEST_SECONDS
from mysfits_common.settings import (
    FULFIL_SECRET,
    Setting,
    SettingError,
    between,
    from_settings,
    number,
    on_off,
    switch,
    text,
    variable,
    whole_number,
)

Mode = Literal["inline", "queue"]
MODES = ("inline", "queue")


def _mode(env: Mapping[str, str], name: str, default: Mode) -> Mode:
    value = (env.get(name) or default).strip().lower()
    if value not in MODES:
        raise SettingError(f"{name} must be one of {MODES}, not {value!r}")
    return cast(Mode, value)


# The messaging template's defaults: how long a message may wait in its work queue, then in its DLQ.
QUEUE_RETENTION_SECONDS = 4 * 24 * 3600
DEAD_LETTER_RETENTION_SECONDS = 14 * 24 * 3600
MARKER_TTL_MARGIN_SECONDS = 24 * 3600


def marker_ttl_for(queue_retention_seconds: int, dead_letter_retention_seconds: int) -> int:
    """How long a processed-event marker must live so that no delivery of its event outlives it.

    A message can wait its whole retention in the work queue, then (moved to the DLQ) the DLQ's,
    and be redriven at the last moment: a marker that expired before would let it count twice.
    """
    return queue_retention_seconds + dead_letter_retention_seconds + MARKER_TTL_MARGIN_SECONDS


def _positive(env: Mapping[str, str], name: str, default: int) -> int:
    value = whole_number(env, name, default)
    if value <= 0:
        raise SettingError(f"{name} must be a positive number of seconds, not {value}")
    return value


def _origins(env: Mapping[str, str], name: str, default: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(o.strip() for o in env.get(name, "").split(",") if o.strip()) or default


def _port(env: Mapping[str, str], name: str, default: int | None) -> int | None:
    return whole_number(env, name, 0) or default


# The monolith's environment, each variable once (the embedded runner hands them on through these).
MYSFITS_TABLE = Setting("MYSFITS_TABLE", "mysfits-mysfits", text)
PROCESSED_EVENTS_TABLE = Setting("PROCESSED_EVENTS_TABLE", "mysfits-processed-events", text)
EVENTS_TOPIC_ARN = Setting("EVENTS_TOPIC_ARN", "", text)
LIKE_MODE: Setting[Mode] = Setting("LIKE_MODE", "queue", _mode)
ADOPT_MODE: Setting[Mode] = Setting("ADOPT_MODE", "queue", _mode)
CORS_ALLOWED_ORIGINS: Setting[tuple[str, ...]] = Setting("CORS_ALLOWED_ORIGINS", (), _origins, ",".join)
MAX_BODY_BYTES = Setting("MAX_BODY_BYTES", 16 * 1024, whole_number)
# How long a processed-event marker is kept (DynamoDB TTL); a redelivery after that counts again.
MARKER_TTL_SECONDS = Setting(
    "MARKER_TTL_SECONDS", marker_ttl_for(QUEUE_RETENTION_SECONDS, DEAD_LETTER_RETENTION_SECONDS), _positive
)
# The strangler switch at run time (monolith.switch): SSM parameters that override the modes above.
LIKE_MODE_PARAMETER = Setting("LIKE_MODE_PARAMETER", "", text)
ADOPT_MODE_PARAMETER = Setting("ADOPT_MODE_PARAMETER", "", text)
SWITCH_CACHE_SECONDS = Setting("SWITCH_CACHE_SECONDS", 3.0, number)
# The counts-only pipeline view (GET /pipeline): off unless configured.
PIPELINE_VIEW = Setting("PIPELINE_VIEW", False, switch, on_off)
LIKE_QUEUE_URL = Setting("LIKE_QUEUE_URL", "", text)
LIKE_DLQ_URL = Setting("LIKE_DLQ_URL", "", text)
ADOPTION_QUEUE_URL = Setting("ADOPTION_QUEUE_URL", "", text)
ADOPTION_DLQ_URL = Setting("ADOPTION_DLQ_URL", "", text)
WORKER_STATUS_DIR = Setting("WORKER_STATUS_DIR", "", text)
# Events of concurrent requests per PublishBatch (1: a Publish per event, no batching), and how long
# a batch may wait for more while others are already waiting.
PUBLISH_BATCH_ENTRIES = Setting("PUBLISH_BATCH_ENTRIES", 10, between(1, 10))
PUBLISH_LINGER_MS = Setting("PUBLISH_LINGER_MS", 5, between(0, 1000))
# How long a like or adoption may take to answer (its publish waits no longer): well under the ALB's 60 s.
REQUEST_BUDGET_SECONDS = Setting("REQUEST_BUDGET_SECONDS", REQUEST_SECONDS, number)
# The port of the internal routes (fulfil, readiness), which the public port then does not have at
# all; gunicorn listens on both. None (unset or 0): every route on every port (tests, a process on its own).
INTERNAL_PORT: Setting[int | None] = Setting("INTERNAL_PORT", None, _port)


@dataclass(frozen=True)
class Settings:
    mysfits_table: str = variable(MYSFITS_TABLE)
    processed_events_table: str = variable(PROCESSED_EVENTS_TABLE)
    events_topic_arn: str = variable(EVENTS_TOPIC_ARN)
    like_mode: Mode = variable(LIKE_MODE)
    adopt_mode: Mode = variable(ADOPT_MODE)
    fulfil_secret: str = variable(FULFIL_SECRET)
    cors_allowed_origins: tuple[str, ...] = variable(CORS_ALLOWED_ORIGINS)
    max_body_bytes: int = variable(MAX_BODY_BYTES)
    marker_ttl_seconds: int = variable(MARKER_TTL_SECONDS)
    like_mode_parameter: str = variable(LIKE_MODE_PARAMETER)
    adopt_mode_parameter: str = variable(ADOPT_MODE_PARAMETER)
    switch_cache_seconds: float = variable(SWITCH_CACHE_SECONDS)
    pipeline_view: bool = variable(PIPELINE_VIEW)
    like_queue_url: str = variable(LIKE_QUEUE_URL)
    like_dlq_url: str = variable(LIKE_DLQ_URL)
    adoption_queue_url: str = variable(ADOPTION_QUEUE_URL)
    adoption_dlq_url: str = variable(ADOPTION_DLQ_URL)
    worker_status_dir: str = variable(WORKER_STATUS_DIR)
    publish_batch_entries: int = variable(PUBLISH_BATCH_ENTRIES)
    publish_linger_ms: int = variable(PUBLISH_LINGER_MS)
    request_budget_seconds: float = variable(REQUEST_BUDGET_SECONDS)
    internal_port: int | None = variable(INTERNAL_PORT)

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> Settings:
        return cls(**from_settings(fields(cls), env))
