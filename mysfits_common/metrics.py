"""Metrics: one CloudWatch embedded-metric-format (EMF) log line per batch, and a local status file.

A batch's events are counted by what became of them, each under exactly one
:class:`~mysfits_common.outcomes.Outcome` (``processed``, ``duplicate``, ``rejected``, ``failed``,
``retried``: the metrics are named by the outcomes' values), with ``batchSize`` (their sum) and
``handlingTime`` (milliseconds). The line is an ordinary JSON log line (the services' logs are
JSON) that also carries the ``_aws`` metadata of the EMF specification, so CloudWatch Logs turns it
into metrics in the namespace ``METRICS_NAMESPACE`` with dimensions ``service`` and ``eventType``:
nothing is sent to CloudWatch from the hot path. Locally there is no CloudWatch to extract them,
so a worker also keeps its running totals and the time of its last poll in a small JSON file
(``WORKER_STATUS_FILE``) that ``python -m ops status`` and the pipeline view read: the same counts,
since the worker started.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mysfits_common.outcomes import Outcome

__all__ = [
    "COUNTS",
    "DEFAULT_NAMESPACE",
    "QUEUE_COUNTS",
    "WORKER_OF_QUEUE",
    "BatchCounts",
    "WorkerMetrics",
    "emf_record",
    "queue_counts",
    "read_status_files",
    "worker_summary",
]

logger = logging.getLogger("mysfits.metrics")
DEFAULT_NAMESPACE = "mysfits"
KEPT_FAILURES = 100
# The names of the metrics that count events, one an outcome.
COUNTS = tuple(outcome.value for outcome in Outcome)


@dataclass
class BatchCounts:
    """What became of one batch's events (see the module's docstring)."""

    events: Counter[Outcome] = field(default_factory=Counter)
    handling_ms: float = 0.0

    @property
    def batch_size(self) -> int:
        return self.events.total()

    def add(self, outcome: Outcome, count: int = 1) -> None:
        self.events[outcome] += count

    def by_name(self) -> dict[str, int]:
        """The count of each outcome, by its metric's name (all of :data:`COUNTS`, zeros too)."""
        return {outcome.value: self.events[outcome] for outcome in Outcome}


def emf_record(
    service: str, event_type: str, counts: BatchCounts, namespace: str | None = None, now: float | None = None
) -> dict[str, Any]:
    """The EMF document of one batch: the ``_aws`` metadata, the dimensions and the values."""
    metrics = [{"Name": name, "Unit": "Count"} for name in COUNTS]
    metrics += [{"Name": "batchSize", "Unit": "Count"}, {"Name": "handlingTime", "Unit": "Milliseconds"}]
    return {
        "_aws": {
            "Timestamp": int((time.time() if now is None else now) * 1000),
            "CloudWatchMetrics": [
                {
                    "Namespace": namespace or os.environ.get("METRICS_NAMESPACE") or DEFAULT_NAMESPACE,
                    "Dimensions": [["service", "eventType"]],
                    "Metrics": metrics,
                }
            ],
        },
        "service": service,
        "eventType": event_type,
        **counts.by_name(),
        "batchSize": counts.batch_size,
        "handlingTime": round(counts.handling_ms, 1),
    }


def emit_batch(service: str, event_type: str, counts: BatchCounts) -> None:
    """Log the batch's EMF line (one per batch, never one per event)."""
    if counts.batch_size:
        logger.info("metrics", extra=emf_record(service, event_type, counts))


@dataclass
class WorkerMetrics:
    """A worker's metrics: the EMF line per batch, and its totals and last poll in ``status_file``."""

    service: str
    event_type: str
    status_file: str | None = None
    started_at: float = field(default_factory=time.time)
    last_poll_at: float | None = None
    totals: BatchCounts = field(default_factory=BatchCounts)
    batches: int = 0
    # Why the latest messages given up on failed, by SQS message id (ops peek shows it beside the DLQ).
    failures: dict[str, str] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def polled(self) -> None:
        self.last_poll_at = time.time()
        self._write()

    def failed(self, message_id: str, reason: str) -> None:
        """Remember why a message was given up (the last :data:`KEPT_FAILURES` of them)."""
        with self._lock:
            self.failures.pop(message_id, None)
            self.failures[message_id] = reason
            while len(self.failures) > KEPT_FAILURES:
                del self.failures[next(iter(self.failures))]

    def batch(self, counts: BatchCounts) -> None:
        emit_batch(self.service, self.event_type, counts)
        with self._lock:
            self.totals.events.update(counts.events)
            self.batches += 1
        self._write()

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            totals = {**self.totals.by_name(), "batches": self.batches}
            failures = dict(self.failures)
        return {
            "service": self.service,
            "eventType": self.event_type,
            "pid": os.getpid(),
            "startedAt": self.started_at,
            "lastPollAt": self.last_poll_at,
            "counts": totals,
            "failures": failures,
        }

    def _write(self) -> None:
        """Written beside the file and renamed over it: a reader never sees it half written."""
        if not self.status_file:
            return
        path = Path(self.status_file)
        staged = path.with_name(f".{path.name}.{threading.get_ident()}.new")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            staged.write_text(json.dumps(self.snapshot()), encoding="utf-8")
            os.replace(staged, path)
        except OSError as error:  # a status file is a convenience: never fail the work for it
            logger.warning("Status file not written", extra={"path": str(path), "error": str(error)})


def read_status_files(directory: str | Path) -> dict[str, dict[str, Any]]:
    """Every worker's last status in ``directory``, by service; unreadable files are left out."""
    found: dict[str, dict[str, Any]] = {}
    root = Path(directory)
    if not root.is_dir():
        return found
    for path in sorted(root.glob("*.json")):
        try:
            status = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if isinstance(status, Mapping) and isinstance(status.get("service"), str):
            raw = status.get("counts")
            counts: Mapping[str, Any] = raw if isinstance(raw, Mapping) else {}
            status = {**status, "counts": {name: int(counts.get(name, 0)) for name in (*COUNTS, "batches")}}
            found[str(status["service"])] = dict(status)
    return found


# What the pipeline view and `ops status` show of a queue: SQS's approximate counts, by the name they print.
QUEUE_COUNTS = {
    "visible": "ApproximateNumberOfMessages",
    "inFlight": "ApproximateNumberOfMessagesNotVisible",
    "delayed": "ApproximateNumberOfMessagesDelayed",
}
# The worker that consumes each queue, by the queue's name in the pipeline.
WORKER_OF_QUEUE = {"like": "like_worker", "adoption": "adopt_worker"}


def queue_counts(sqs_client: Any, queue_url: str) -> dict[str, int]:
    """The queue's messages visible, in flight and delayed (QUEUE_COUNTS), from one GetQueueAttributes."""
    answer = sqs_client.get_queue_attributes(QueueUrl=queue_url, AttributeNames=list(QUEUE_COUNTS.values()))
    attributes = answer.get("Attributes", {})
    return {key: int(attributes.get(name, 0)) for key, name in QUEUE_COUNTS.items()}


def worker_summary(status: Mapping[str, Any], now: float) -> dict[str, Any]:
    """What the pipeline view and ``ops status`` show of a worker's status file: its service, how long
    ago it last polled (to a tenth of a second; None if never) and its totals."""
    last_poll = status.get("lastPollAt")
    return {
        "service": status["service"],
        "lastPollSecondsAgo": None if last_poll is None else round(max(now - float(last_poll), 0.0), 1),
        "counts": status["counts"],
    }
