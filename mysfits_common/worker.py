"""The entrypoint both workers share: settings from the environment (:mod:`mysfits_common.worker_settings`),
signals, the consumer loop."""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable
from types import FrameType

from mysfits_common import aws
from mysfits_common.consumer import Consumer
from mysfits_common.handlers import BatchHandler, EachEvent
from mysfits_common.logs import configure_logging
from mysfits_common.metrics import WorkerMetrics
from mysfits_common.monolith_client import MonolithClient
from mysfits_common.settings import SettingError
from mysfits_common.worker_settings import WorkerSettings

logger = logging.getLogger(__name__)
_SIGNAL_CHECK_SECONDS = 0.25


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
