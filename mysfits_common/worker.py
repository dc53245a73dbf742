"""The entrypoint both workers share: settings from the environment, signals, the consumer loop."""

from __future__ import annotations

import logging
import os
import signal
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

from mysfits_common import aws
from mysfits_common.consumer import Consumer, ConsumerSettings
from mysfits_common.handlers import BatchHandler, EachEvent
from mysfits_common.logs import configure_logging
from mysfits_common.metrics import WorkerStatus
from mysfits_common.monolith_client import MonolithClient

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class WorkerSettings:
    """Every setting a worker reads, from the environment, with local defaults."""

    queue_url: str
    monolith_url: str = "http://127.0.0.1:8080"
    fulfil_secret: str = ""
    # A file holding the secret, re-read on every call: a rotated secret takes effect without a restart.
    fulfil_secret_file: str | None = None
    concurrency: int = 10
    wait_seconds: int = 20
    visibility_timeout: int = 30
    backoff_base_seconds: int = 2
    backoff_max_seconds: int = 300
    health_file: str | None = None
    auth_retry_seconds: float = 15.0
    status_file: str | None = None  # totals and last poll, for `ops status` where no CloudWatch reads the metrics

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> WorkerSettings:
        queue_url = env.get("QUEUE_URL", "")
        if not queue_url:
            raise SystemExit("QUEUE_URL is not set: the worker needs the URL of its SQS queue")
        return cls(
            queue_url=queue_url,
            monolith_url=env.get("MONOLITH_URL", cls.monolith_url),
            fulfil_secret=env.get("FULFIL_SECRET", ""),
            fulfil_secret_file=env.get("FULFIL_SECRET_FILE") or None,
            concurrency=int(env.get("WORKER_CONCURRENCY", cls.concurrency)),
            wait_seconds=int(env.get("WORKER_WAIT_SECONDS", cls.wait_seconds)),
            visibility_timeout=int(env.get("WORKER_VISIBILITY_TIMEOUT", cls.visibility_timeout)),
            backoff_base_seconds=int(env.get("WORKER_BACKOFF_BASE_SECONDS", cls.backoff_base_seconds)),
            backoff_max_seconds=int(env.get("WORKER_BACKOFF_MAX_SECONDS", cls.backoff_max_seconds)),
            health_file=env.get("WORKER_HEALTH_FILE") or None,
            auth_retry_seconds=float(env.get("WORKER_AUTH_RETRY_SECONDS", cls.auth_retry_seconds)),
            status_file=env.get("WORKER_STATUS_FILE") or None,
        )

    def consumer_settings(self) -> ConsumerSettings:
        return ConsumerSettings(
            queue_url=self.queue_url,
            wait_seconds=self.wait_seconds,
            visibility_timeout=self.visibility_timeout,
            backoff_base_seconds=self.backoff_base_seconds,
            backoff_max_seconds=self.backoff_max_seconds,
            heartbeat_seconds=self.visibility_timeout / 3,
            health_file=self.health_file,
            auth_retry_seconds=self.auth_retry_seconds,
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


HandlerFactory = Callable[[MonolithClient, WorkerSettings, threading.Event], BatchHandler]


def run_worker(name: str, make_handler: HandlerFactory, event_type: str) -> None:
    """Run a worker of ``event_type`` events until SIGTERM or SIGINT, then drain in-flight work and return.

    ``make_handler(monolith, settings, stopping)`` builds the batch handler; a per-event handler
    is wrapped in ``EachEvent(handler, settings.concurrency, stopping)``.
    """
    configure_logging(name)
    settings = WorkerSettings.from_env()
    monolith = MonolithClient(settings.monolith_url, settings.secret)
    stopping = threading.Event()
    handler = make_handler(monolith, settings, stopping)
    consumer = Consumer(
        aws.client("sqs", long_poll=True),
        settings.consumer_settings(),
        handler,
        authorised=monolith.authorised,
        stopping=stopping,
        metrics=WorkerStatus(name, event_type, settings.status_file),
    )

    def request_stop(signum: int, _frame: FrameType | None) -> None:
        logger.info("Stop requested; draining", extra={"signal": signal.Signals(signum).name})
        consumer.stop()

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    try:
        consumer.run()
    finally:
        if isinstance(handler, EachEvent):
            handler.close()
