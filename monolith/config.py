"""The monolith's settings: one frozen object over the environment, with local defaults."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal, cast

Mode = Literal["inline", "queue"]
_MODES = ("inline", "queue")


def _mode(env: Mapping[str, str], name: str) -> Mode:
    value = env.get(name, "queue").strip().lower()
    if value not in _MODES:
        raise ValueError(f"{name} must be one of {_MODES}, not {value!r}")
    return cast(Mode, value)


def _positive(env: Mapping[str, str], name: str, default: int) -> int:
    value = int(env.get(name, default))
    if value <= 0:
        raise ValueError(f"{name} must be a positive number of seconds, not {value}")
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
    marker_ttl_seconds: int = 7 * 24 * 3600

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
            max_body_bytes=int(env.get("MAX_BODY_BYTES", cls.max_body_bytes)),
            marker_ttl_seconds=_positive(env, "MARKER_TTL_SECONDS", cls.marker_ttl_seconds),
        )
