"""The entrypoint both workers share: settings from the environment, signals, the consumer loop."""

from __future__ import annotations

import logging
import os
import signal
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from types import FrameType

from mysfits_common import aws
from mysfits_common.consumer import Consumer, ConsumerSettings
from mysfits_common.handlers import BatchHandler, EachEvent
from mysfits_common.logs import configure_logging
from mysfits_common.metrics import WorkerMetrics
from mysfits_common.monolith_client import MonolithClient
from mysfits_common.settings import SettingError, number, whole_number

logger = logging.getLogger(__name__)
_SIGNAL_CHECK_SECONDS = 0.25


@dataclass(frozen=True)
class WorkerSettings:
    """Every setting a worker reads, from the environment, with local defaults: the consumer loop's
    own, and the worker's (where the monolith is, the secret, handler concurrency, status file)."""

    consumer: ConsumerSettings
    monolith_url: str = "http://127.0.0.1:8080"
    fulfil_secret: str = ""
    # A file holding the secret, re-read on every call: a rotated secret takes effect without a restart.
    fulfil_secret_file: str | None = None
    concurrency: int = 10
    status_file: str | None = None  # totals and last poll, for `ops status` where no CloudWatch reads the metrics

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ, gather_max: int | None = None) -> WorkerSettings:
        """``gather_max``: the worker's own default for WORKER_GATHER_MAX (the consumer's otherwise)."""
        queue_url = env.get("QUEUE_URL", "")
        if not queue_url:
            raise SystemExit("QUEUE_URL is not set: the worker needs the URL of its SQS queue")
        defaults = ConsumerSettings(queue_url)
        if gather_max is not None:
            defaults = replace(defaults, gather_max=gather_max)
        visibility_timeout = whole_number(env, "WORKER_VISIBILITY_TIMEOUT", defaults.visibility_timeout)
        consumer = replace(
            defaults,
            wait_seconds=whole_number(env, "WORKER_WAIT_SECONDS", defaults.wait_seconds),
            visibility_timeout=visibility_timeout,
            backoff_base_seconds=whole_number(env, "WORKER_BACKOFF_BASE_SECONDS", defaults.backoff_base_seconds),
            backoff_max_seconds=whole_number(env, "WORKER_BACKOFF_MAX_SECONDS", defaults.backoff_max_seconds),
            heartbeat_seconds=visibility_timeout / 3,
            health_file=env.get("WORKER_HEALTH_FILE") or None,
            auth_retry_seconds=number(env, "WORKER_AUTH_RETRY_SECONDS", defaults.auth_retry_seconds),
            gather_max=whole_number(env, "WORKER_GATHER_MAX", defaults.gather_max),
        )
        return cls(
            consumer=consumer,
            monolith_url=env.get("MONOLITH_URL", cls.monolith_url),
            fulfil_secret=env.get("FULFIL_SECRET", ""),
            fulfil_secret_file=env.get("FULFIL_SECRET_FILE") or None,
            concurrency=whole_number(env, "WORKER_CONCURRENCY", cls.concurrency),
            status_file=env.get("WORKER_STATUS_FILE") or None,
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


def run_worker(name: str, make_handler: HandlerFactory, event_type: str, gather_max: int | None = None) -> None:
    """Run a worker of ``event_type`` events until SIGTERM or SIGINT, then drain in-flight work and return.

    ``make_handler(monolith, settings, stopping)`` builds the batch handler; a per-event handler
    is wrapped in ``EachEvent(handler, settings.concurrency, stopping)``. ``gather_max``: how many
    messages the worker hands its handler at once by default (ConsumerSettings.gather_max).
    """
    configure_logging(name)
    try:
        settings = WorkerSettings.from_env(gather_max=gather_max)
    except SettingError as error:
        raise SystemExit(f"{name}: {error}") from None
    monolith = MonolithClient(settings.monolith_url, settings.secret)
    stopping = threading.Event()
    handler = make_handler(monolith, settings, stopping)
    consumer = Consumer(
        aws.client("sqs", long_poll=True),
        settings.consumer,
        handler,
        authorised=monolith.authorised,
        stopping=stopping,
        metrics=WorkerMetrics(name, event_type, settings.status_file),
    )

    try:
        run_until_signalled(consumer)
    finally:
        if isinstance(handler, EachEvent):
            handler.close()


def run_until_signalled(consumer: Consumer) -> None:
    """``consumer.run()`` until SIGTERM or SIGINT asks it to stop.

    Python runs a signal handler on the main thread, between two of its bytecodes, so the handler
    must never need a lock the main thread may hold at that moment: it would wait for itself. The
    loop takes its events' locks all the time, so it runs on a thread of its own, and the main
    thread only waits for it; the handler's stop() then at worst waits a moment for the loop.
    """
    failure: list[BaseException] = []

    def run() -> None:
        try:
            consumer.run()
        except BaseException as error:  # raised again on the main thread, as if the loop ran there
            failure.append(error)

    def request_stop(signum: int, _frame: FrameType | None) -> None:
        logger.info("Stop requested; draining", extra={"signal": signal.Signals(signum).name})
        consumer.stop()

    # The handlers stay once the loop has ended: a second signal while the worker winds down (its
    # handler pool closing) asks for nothing more, rather than killing it mid-way.
    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    loop = threading.Thread(target=run, name="consumer")
    loop.start()
    # In slices: the kernel may hand the signal to any thread, and then only a main thread that
    # wakes up runs its handler (a join without a timeout would sleep through it for good).
    while loop.is_alive():
        loop.join(_SIGNAL_CHECK_SECONDS)
    if failure:
        raise failure[0]
