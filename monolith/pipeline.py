"""GET /pipeline: the counts behind the website's live pipeline page.

Counts only, never a message body: each queue's and DLQ's visible, in-flight and delayed messages
(its SQS attributes), the workers' totals where their status files are at hand (``WORKER_STATUS_DIR``,
the embedded default), the strangler switch, and the catalogue's likes and adoptions. Read-only.
Off unless ``PIPELINE_VIEW`` is set (``make run`` sets it; on AWS, services.yaml's ``PipelineView``):
it answers 404 then, and the monolith builds no SQS client. One snapshot is shared by every caller
for a second, so a room full of open pages costs the queues what one page does.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError
from flask import Blueprint, Response, current_app, jsonify

from monolith.domain import DependencyUnavailable, catalogue_totals
from monolith.errors import ApiError
from monolith.service import MysfitsService
from mysfits_common.metrics import QUEUE_COUNTS, WORKER_OF_QUEUE, queue_counts, read_status_files, worker_summary

bp = Blueprint("pipeline", __name__)



@dataclass(frozen=True)
class QueueUrls:
    queue: str
    dlq: str


class PipelineView:
    def __init__(
        self,
        sqs_client: Any,
        queues: Mapping[str, QueueUrls],
        service: MysfitsService,
        status_dir: str = "",
        cache_seconds: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._sqs = sqs_client
        self._queues = dict(queues)
        self._service = service
        self._status_dir = status_dir
        self._cache_seconds = cache_seconds
        self._clock = clock
        self._cached: tuple[float, dict[str, Any]] | None = None
        self._lock = threading.Lock()

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            if self._cached is None or self._clock() - self._cached[0] >= self._cache_seconds:
                self._cached = (self._clock(), self._read())
            return self._cached[1]

    def _read(self) -> dict[str, Any]:
        try:
            queues = {
                name: {"queue": self._counts(urls.queue), "dlq": self._counts(urls.dlq)}
                for name, urls in self._queues.items()
            }
        except (BotoCoreError, ClientError) as error:
            raise DependencyUnavailable(f"SQS: {error}") from error
        return {
            "generatedAt": datetime.now(UTC).isoformat(timespec="milliseconds"),
            "modes": self._service.modes(),
            "queues": queues,
            "workers": self._workers(),
            "totals": catalogue_totals(self._service.list_mysfits()),
        }

    def _counts(self, url: str) -> dict[str, int]:
        return queue_counts(self._sqs, url) if url else dict.fromkeys(QUEUE_COUNTS, 0)

    def _workers(self) -> dict[str, dict[str, Any] | None]:
        """Each worker's totals and last poll; None where no status file says (AWS: see CloudWatch)."""
        files = read_status_files(self._status_dir) if self._status_dir else {}
        now = time.time()
        statuses = {name: files.get(WORKER_OF_QUEUE.get(name, name)) for name in self._queues}
        return {name: None if status is None else worker_summary(status, now) for name, status in statuses.items()}


@bp.get("/pipeline")
def pipeline() -> Response:
    """The pipeline's counts (no message bodies), for the website's live page; 404 unless PIPELINE_VIEW is on."""
    view: PipelineView | None = current_app.extensions.get("pipeline_view")
    if view is None:
        raise ApiError(404, "pipeline_view_off", "the pipeline view is off here (PIPELINE_VIEW)")
    response = jsonify(view.snapshot())
    response.headers["Cache-Control"] = "no-store"
    return response
