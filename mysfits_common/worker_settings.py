"""A worker's settings: every variable it reads, each defined once (the embedded runner and the
local deploy hand theirs on through these definitions), and the object they make. Light to import:
LocalStack's ready hook reads ``WORKER_VISIBILITY_TIMEOUT`` with nothing but boto3 installed."""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path

from mysfits_common.consumer import ConsumerSettings
from mysfits_common.settings import FULFIL_SECRET, Setting, maybe_text, number, text, whole_number

logger = logging.getLogger(__name__)

_CONSUMER = ConsumerSettings(queue_url="")  # the consumer loop's defaults

# A worker's environment, each variable once (the embedded runner hands them on through these).
QUEUE_URL = Setting("QUEUE_URL", "", text)
MONOLITH_URL = Setting("MONOLITH_URL", "http://127.0.0.1:8080", text)
# A file holding the secret, re-read on every call: a rotated secret takes effect without a restart.
FULFIL_SECRET_FILE = Setting("FULFIL_SECRET_FILE", None, maybe_text)
WORKER_CONCURRENCY = Setting("WORKER_CONCURRENCY", 10, whole_number)
# Totals and last poll, for `ops status` where no CloudWatch reads the metrics.
WORKER_STATUS_FILE = Setting("WORKER_STATUS_FILE", None, maybe_text)
WORKER_WAIT_SECONDS = Setting("WORKER_WAIT_SECONDS", _CONSUMER.wait_seconds, whole_number)
WORKER_VISIBILITY_TIMEOUT = Setting("WORKER_VISIBILITY_TIMEOUT", _CONSUMER.visibility_timeout, whole_number)
WORKER_BACKOFF_BASE_SECONDS = Setting("WORKER_BACKOFF_BASE_SECONDS", _CONSUMER.backoff_base_seconds, whole_number)
WORKER_BACKOFF_MAX_SECONDS = Setting("WORKER_BACKOFF_MAX_SECONDS", _CONSUMER.backoff_max_seconds, whole_number)
WORKER_HEALTH_FILE = Setting("WORKER_HEALTH_FILE", _CONSUMER.health_file, maybe_text)
WORKER_AUTH_RETRY_SECONDS = Setting("WORKER_AUTH_RETRY_SECONDS", _CONSUMER.auth_retry_seconds, number)
WORKER_GATHER_MAX = Setting("WORKER_GATHER_MAX", _CONSUMER.gather_max, whole_number)


@dataclass(frozen=True)
class WorkerSettings:
    """Every setting a worker reads, from the environment, with local defaults: the consumer loop's
    own, and the worker's (where the monolith is, the secret, handler concurrency, status file)."""

    consumer: ConsumerSettings
    monolith_url: str = MONOLITH_URL.default
    fulfil_secret: str = FULFIL_SECRET.default
    fulfil_secret_file: str | None = FULFIL_SECRET_FILE.default
    concurrency: int = WORKER_CONCURRENCY.default
    status_file: str | None = WORKER_STATUS_FILE.default

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ, gather_max: int | None = None) -> WorkerSettings:
        """``gather_max``: the worker's own default for WORKER_GATHER_MAX (the consumer's otherwise)."""
        queue_url = QUEUE_URL.read(env)
        if not queue_url:
            raise SystemExit("QUEUE_URL is not set: the worker needs the URL of its SQS queue")
        gather = WORKER_GATHER_MAX if gather_max is None else replace(WORKER_GATHER_MAX, default=gather_max)
        visibility_timeout = WORKER_VISIBILITY_TIMEOUT.read(env)
        consumer = replace(
            _CONSUMER,
            queue_url=queue_url,
            wait_seconds=WORKER_WAIT_SECONDS.read(env),
            visibility_timeout=visibility_timeout,
            backoff_base_seconds=WORKER_BACKOFF_BASE_SECONDS.read(env),
            backoff_max_seconds=WORKER_BACKOFF_MAX_SECONDS.read(env),
            heartbeat_seconds=visibility_timeout / 3,
            health_file=WORKER_HEALTH_FILE.read(env),
            auth_retry_seconds=WORKER_AUTH_RETRY_SECONDS.read(env),
            gather_max=gather.read(env),
        )
        return cls(
            consumer=consumer,
            monolith_url=MONOLITH_URL.read(env),
            fulfil_secret=FULFIL_SECRET.read(env),
            fulfil_secret_file=FULFIL_SECRET_FILE.read(env),
            concurrency=WORKER_CONCURRENCY.read(env),
            status_file=WORKER_STATUS_FILE.read(env),
        )

    def secret(self) -> str:
        """The fulfil secret, from its file when one is set (read now), else from the environment."""
        if self.fulfil_secret_file is None:
            return self.fulfil_secret
        try:
            return Path(self.fulfil_secret_file).read_text(encoding="utf-8").strip()
        except OSError as error:
            logger.error("Fulfil secret file unreadable", extra={"path": self.fulfil_secret_file, "error": str(error)})
            return ""


