"""The monolith's settings: one frozen object over the environment, with local defaults."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal, cast

from mysfits_common.budgets import REQUEST_SECONDS
from mysfits_common.settings import SettingError, number, switch, whole_number

Mode = Literal["inline", "queue"]
MODES = ("inline", "queue")


def _mode(env: Mapping[str, str], name: str) -> Mode:
    value = env.get(name, "queue").strip().lower()
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


def _bounded(env: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    value = whole_number(env, name, default)
    if not low <= value <= high:
        raise SettingError(f"{name} must be between {low} and {high}, not {value}")
    return value


@dataclass(frozen=True)
class Settings:
    mysfits_table: str = "mysfits-mysfits"
    processed_events_table: str = "mysfits-processed-events"
    events_topic_arn: str = ""
    like_mode: Mode = "queue"
    adopt_mode: Mode = "queue"
    fulfil_secret: str = ""
    cors_allowed_origins: tuple[str, ...] = ()
    max_body_bytes: int = 16 * 1024
    # How long a processed-event marker is kept (DynamoDB TTL); a redelivery after that counts again.
    marker_ttl_seconds: int = marker_ttl_for(QUEUE_RETENTION_SECONDS, DEAD_LETTER_RETENTION_SECONDS)
    # The strangler switch at run time (monolith.switch): SSM parameters that override the modes above.
    like_mode_parameter: str = ""
    adopt_mode_parameter: str = ""
    switch_cache_seconds: float = 3.0
    # The counts-only pipeline view (GET /pipeline): off unless configured.
    pipeline_view: bool = False
    like_queue_url: str = ""
    like_dlq_url: str = ""
    adoption_queue_url: str = ""
    adoption_dlq_url: str = ""
    worker_status_dir: str = ""
    # Events of concurrent requests per PublishBatch (1: a Publish per event, no batching), and how long
    # a batch may wait for more while others are already waiting.
    publish_batch_entries: int = 10
    publish_linger_ms: int = 5
    # How long a like or adoption may take to answer (its publish waits no longer): well under the ALB's 60 s.
    request_budget_seconds: float = REQUEST_SECONDS
    # The port of the internal routes (fulfil, readiness), which the public port then does not have at
    # all; gunicorn listens on both. None: every route on every port (tests, a process on its own).
    internal_port: int | None = None

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> Settings:
        origins = tuple(o.strip() for o in env.get("CORS_ALLOWED_ORIGINS", "").split(",") if o.strip())
        return cls(
            mysfits_table=env.get("MYSFITS_TABLE", cls.mysfits_table),
            processed_events_table=env.get("PROCESSED_EVENTS_TABLE", cls.processed_events_table),
            events_topic_arn=env.get("EVENTS_TOPIC_ARN", ""),
            like_mode=_mode(env, "LIKE_MODE"),
            adopt_mode=_mode(env, "ADOPT_MODE"),
            fulfil_secret=env.get("FULFIL_SECRET", ""),
            cors_allowed_origins=origins,
            max_body_bytes=whole_number(env, "MAX_BODY_BYTES", cls.max_body_bytes),
            marker_ttl_seconds=_positive(env, "MARKER_TTL_SECONDS", cls.marker_ttl_seconds),
            like_mode_parameter=env.get("LIKE_MODE_PARAMETER", ""),
            adopt_mode_parameter=env.get("ADOPT_MODE_PARAMETER", ""),
            switch_cache_seconds=number(env, "SWITCH_CACHE_SECONDS", cls.switch_cache_seconds),
            pipeline_view=switch(env, "PIPELINE_VIEW", cls.pipeline_view),
            like_queue_url=env.get("LIKE_QUEUE_URL", ""),
            like_dlq_url=env.get("LIKE_DLQ_URL", ""),
            adoption_queue_url=env.get("ADOPTION_QUEUE_URL", ""),
            adoption_dlq_url=env.get("ADOPTION_DLQ_URL", ""),
            worker_status_dir=env.get("WORKER_STATUS_DIR", ""),
            publish_batch_entries=_bounded(env, "PUBLISH_BATCH_ENTRIES", cls.publish_batch_entries, 1, 10),
            publish_linger_ms=_bounded(env, "PUBLISH_LINGER_MS", cls.publish_linger_ms, 0, 1000),
            request_budget_seconds=number(env, "REQUEST_BUDGET_SECONDS", cls.request_budget_seconds),
            internal_port=whole_number(env, "INTERNAL_PORT", 0) or None,
        )
