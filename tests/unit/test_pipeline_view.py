"""GET /pipeline: counts only, off unless configured, one snapshot a second for every caller."""

from __future__ import annotations

import json
from pathlib import Path

from flask import Flask

from monolith.app import create_app
from monolith.config import Settings
from monolith.pipeline import PipelineView, QueueUrls
from monolith.service import MysfitsService
from mysfits_common.metrics import WorkerMetrics
from tests.fakes import FakeRepository, FakeSqs, RecordingPublisher


class Clock:
    now = 0.0

    def __call__(self) -> float:
        return self.now


def _app(view: PipelineView | None, service: MysfitsService) -> Flask:
    app = create_app(Settings(), service=service)
    if view is not None:
        app.extensions["pipeline_view"] = view
    return app


def test_it_answers_404_json_unless_configured() -> None:
    response = (
        create_app(Settings(), service=MysfitsService(FakeRepository(), RecordingPublisher()))
        .test_client()
        .get("/pipeline")
    )

    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "pipeline_view_off"


def test_it_reports_counts_and_no_message_body(tmp_path: Path) -> None:
    # GIVEN queues with messages, a like worker's status file, and a catalogue with likes
    sqs = FakeSqs(counts={"lq": (3, 2, 0), "ldlq": (1, 0, 0), "aq": (0, 0, 0), "adlq": (0, 0, 0)})
    worker = WorkerMetrics("like_worker", "LikeRequested", str(tmp_path / "like_worker.json"))
    worker.failed("message-1", "unknown mysfit secret-body-text")
    worker.polled()
    repository = FakeRepository()
    service = MysfitsService(repository, RecordingPublisher())
    clock = Clock()
    view = PipelineView(
        sqs, {"like": QueueUrls("lq", "ldlq"), "adoption": QueueUrls("aq", "adlq")}, service, str(tmp_path), clock=clock
    )
    client = _app(view, service).test_client()

    # WHEN the page asks, twice within a second
    first, second = client.get("/pipeline"), client.get("/pipeline")

    # THEN the counts, from one snapshot, and nothing from a message or a failure reason
    body = first.get_json()
    assert first.status_code == 200 and second.get_json() == body and sqs.reads == 4
    assert body["queues"]["like"] == {
        "queue": {"visible": 3, "inFlight": 2, "delayed": 0},
        "dlq": {"visible": 1, "inFlight": 0, "delayed": 0},
    }
    assert body["workers"]["like"]["counts"]["processed"] == 0 and body["workers"]["adoption"] is None
    assert body["totals"] == {"mysfits": 12, "likes": sum(m.likes for m in repository.mysfits.values()), "adopted": 0}
    assert body["modes"] == {"like": "queue", "adopt": "queue"}
    assert "secret-body-text" not in json.dumps(body)
    assert first.headers["Cache-Control"] == "no-store"

    # AND a second later it reads the queues again
    clock.now += 1
    client.get("/pipeline")
    assert sqs.reads == 8
