"""The metrics are EMF lines CloudWatch would accept, one per batch, counting each event once."""

from __future__ import annotations

import io
import json
import logging
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from monolith.app import create_app
from monolith.config import Settings
from monolith.service import MysfitsService
from mysfits_common.consumer import Consumer, ConsumerSettings
from mysfits_common.events import AdoptionRequested, Event, LikeRequested
from mysfits_common.handlers import EachEvent, Handled, PermanentError, TransientError
from mysfits_common.logs import JsonFormatter
from mysfits_common.metrics import COUNTS, WorkerMetrics, read_status_files
from mysfits_common.outcomes import Outcome
from tests.factories import sqs_message
from tests.fakes import FakeRepository, FakeSqs, RecordingPublisher


@pytest.fixture
def log_lines() -> Iterator[Callable[[], list[dict[str, Any]]]]:
    """Every log line written so far as the services write them (mysfits_common.logs), parsed back."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter("like_worker"))
    root = logging.getLogger()
    root.addHandler(handler)
    previous = root.level
    root.setLevel(logging.INFO)
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    root.removeHandler(handler)
    root.setLevel(previous)


def _emf(log_lines: Callable[[], list[dict[str, Any]]]) -> list[dict[str, Any]]:
    return [line for line in log_lines() if "_aws" in line]


def assert_valid_emf(document: dict[str, Any]) -> None:
    """The specification's rules: _aws with a Timestamp in ms and CloudWatchMetrics directives whose
    dimensions and metrics name root members, metrics holding numbers."""
    metadata = document["_aws"]
    assert isinstance(metadata["Timestamp"], int) and metadata["Timestamp"] > 1_600_000_000_000
    (directive,) = metadata["CloudWatchMetrics"]
    assert isinstance(directive["Namespace"], str) and 1 <= len(directive["Namespace"]) <= 255
    for dimension_set in directive["Dimensions"]:
        assert 1 <= len(dimension_set) <= 30
        assert all(isinstance(document[name], str) for name in dimension_set)
    assert 1 <= len(directive["Metrics"]) <= 100
    for metric in directive["Metrics"]:
        assert isinstance(document[metric["Name"]], int | float), metric
        assert metric["Unit"] in ("Count", "Milliseconds")


def _consumer(sqs: FakeSqs, handler: Any, metrics: WorkerMetrics) -> Consumer:
    stopping = threading.Event()
    return Consumer(
        sqs,
        ConsumerSettings(queue_url="http://queue"),
        EachEvent(handler, 4, stopping),
        stopping=stopping,
        metrics=metrics,
    )


def test_a_worker_writes_one_emf_line_per_batch_counting_each_event_once(
    log_lines: Callable[[], list[dict[str, Any]]], tmp_path: Path
) -> None:
    # GIVEN a batch of 7: 3 counted, 1 duplicate, 1 rejected, 1 poison, 1 that fails transiently
    fates = [Outcome.PROCESSED] * 3 + [Outcome.DUPLICATE, Outcome.REJECTED, "transient"]
    events = [LikeRequested(mysfit_id=f"m{index}") for index in range(len(fates))]
    fate_of = {event.event_id: fate for event, fate in zip(events, fates, strict=True)}

    def handler(event: Event) -> Handled:
        fate = fate_of[event.event_id]
        if fate == "transient":
            raise TransientError("monolith down")
        return Handled(Outcome(fate), "Like processed.")

    sqs = FakeSqs([[*map(sqs_message, events), sqs_message("not json")], [sqs_message(events[0])]])
    metrics = WorkerMetrics("like_worker", "LikeRequested", str(tmp_path / "like_worker.json"))
    consumer = _consumer(sqs, handler, metrics)

    # WHEN two receives are handled
    consumer.poll_once()
    consumer.poll_once()

    # THEN one EMF line each, in the dimensions service and eventType
    lines = _emf(log_lines)
    assert len(lines) == 2
    for line in lines:
        assert_valid_emf(line)
        assert line["_aws"]["CloudWatchMetrics"][0]["Dimensions"] == [["service", "eventType"]]
        assert (line["service"], line["eventType"]) == ("like_worker", "LikeRequested")
    first, second = lines
    assert {name: first[name] for name in COUNTS} == {
        "processed": 3,
        "duplicate": 1,
        "rejected": 1,
        "failed": 1,
        "retried": 1,
    }
    assert first["batchSize"] == 7 and first["handlingTime"] >= 0
    assert second["batchSize"] == 1 and second["processed"] == 1
    # AND the status file holds the totals and the poison message's reason
    (saved,) = read_status_files(tmp_path).values()
    assert saved["counts"] == {"processed": 4, "duplicate": 1, "rejected": 1, "failed": 1, "retried": 1, "batches": 2}
    assert len(saved["failures"]) == 1


def test_an_empty_receive_writes_no_line_but_records_the_poll(
    log_lines: Callable[[], list[dict[str, Any]]], tmp_path: Path
) -> None:
    metrics = WorkerMetrics("adopt_worker", "AdoptionRequested", str(tmp_path / "adopt_worker.json"))
    consumer = _consumer(FakeSqs([]), lambda event: Handled(Outcome.PROCESSED, "Adoption processed."), metrics)

    consumer.poll_once()
    metrics.polled()

    assert _emf(log_lines) == []
    assert read_status_files(tmp_path)["adopt_worker"]["lastPollAt"] is not None


def test_the_monolith_writes_one_emf_line_per_fulfil_call(log_lines: Callable[[], list[dict[str, Any]]]) -> None:
    # GIVEN a batch of three likes, one of them for a mysfit that does not exist, and two adoptions of one mysfit
    repository = FakeRepository()
    mysfit_id = next(iter(repository.mysfits))
    app = create_app(Settings(fulfil_secret="s3cret"), service=MysfitsService(repository, RecordingPublisher()))
    client = app.test_client()
    likes = [LikeRequested(mysfit_id=mysfit_id), LikeRequested(mysfit_id=mysfit_id), LikeRequested(mysfit_id="nobody")]
    headers = {"X-Fulfil-Secret": "s3cret"}

    # WHEN the workers hand them over
    batch = client.post(
        "/mysfits/batch/fulfill-likes", json={"events": [json.loads(e.to_json()) for e in likes]}, headers=headers
    )
    adoptions = [
        client.post(
            f"/mysfits/{mysfit_id}/fulfill-adopt",
            json=json.loads(AdoptionRequested(mysfit_id=mysfit_id).to_json()),
            headers=headers,
        )
        for _ in range(2)
    ]

    # THEN one line per call: the batch's three likes in one, each adoption in its own
    assert batch.status_code == 200 and [r.status_code for r in adoptions] == [200, 409]
    lines = _emf(log_lines)
    assert len(lines) == 3
    for line in lines:
        assert_valid_emf(line)
        assert line["service"] == "monolith"
    like_line, won, lost = lines
    assert (like_line["eventType"], like_line["batchSize"], like_line["processed"], like_line["failed"]) == (
        "LikeRequested",
        3,
        2,
        1,
    )
    assert (won["eventType"], won["processed"], lost["rejected"]) == ("AdoptionRequested", 1, 1)


def test_a_broken_status_file_is_left_out(tmp_path: Path) -> None:
    (tmp_path / "like_worker.json").write_text("{half", encoding="utf-8")
    (tmp_path / "adopt_worker.json").write_text(json.dumps({"service": "adopt_worker"}), encoding="utf-8")

    found = read_status_files(tmp_path)

    assert list(found) == ["adopt_worker"]
    assert found["adopt_worker"]["counts"]["processed"] == 0


def test_a_poison_reason_is_kept_for_the_last_hundred_messages() -> None:
    metrics = WorkerMetrics("like_worker", "LikeRequested")
    for index in range(150):
        metrics.failed(f"m{index}", PermanentError("unknown mysfit").args[0])

    assert len(metrics.failures) == 100 and "m149" in metrics.failures and "m0" not in metrics.failures
