"""Each fault under a known load: nothing lost, nothing counted twice, queues empty afterwards.

Figures go to the run's reliability.json, from which docs/RELIABILITY.md is written.
"""

from __future__ import annotations

import signal
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from embedded.system import EmbeddedSystem
from mysfits_common.events import LikeRequested
from tests.e2e.client import Api, Aws, eventually
from tests.faults.load import (
    adoption_outcomes,
    assert_exactly_once,
    open_ledger,
    send_adoptions,
    send_likes,
    settle,
)
from tests.faults.proxy import CuttableProxy

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
# Likes per fault: enough that the like worker is mid-batch when the fault lands (what the tests
# need is messages in flight, up to ten a batch, not a total).
LOAD = 300
# The monolith outage needs a backlog still waiting when the monolith dies, so that the workers'
# batches fail and they back off: the workers drain about as fast as the API accepts.
BACKLOG = 500


def in_background(target: Any) -> threading.Thread:
    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    return thread


def record(report: dict[str, Any], name: str, fault: str, ledger: Any, settled: Any, command: str) -> None:
    report[name] = {
        "fault": fault,
        "likes_accepted": sum(ledger.likes_accepted.values()),
        "adoptions_accepted": sum(ledger.adoptions_accepted.values()),
        "refused": dict(ledger.refused),
        "lost": settled.lost_likes + settled.undecided_adoptions,
        "duplicated": settled.duplicated_likes,
        "recovery_seconds": settled.seconds,
        "command": f".venv/bin/pytest {command}",
    }


def test_kill_9_of_a_worker_mid_batch_loses_nothing(
    faulty: EmbeddedSystem, faulty_api: Api, faulty_aws: Aws, report: dict[str, Any]
) -> None:
    # GIVEN a load the like worker is busy with
    ledger = open_ledger(faulty_api)
    sender = in_background(lambda: send_likes(faulty_api, ledger, LOAD))
    eventually(lambda: sum(ledger.likes_accepted.values()), lambda n: n >= LOAD // 5, timeout=60)
    restarts = faulty.restarts["like_worker"]

    # WHEN it is killed without warning (the embedded runner restarts it, as ECS would)
    faulty.workers["like_worker"].signal(signal.SIGKILL)
    killed_at = time.monotonic()
    send_adoptions(faulty_api, faulty_aws, ledger)
    sender.join()

    # THEN the messages it held come back after the visibility timeout and count once
    settled = settle(faulty_api, faulty_aws, ledger, killed_at)
    assert faulty.restarts["like_worker"] == restarts + 1
    assert_exactly_once(faulty_aws, ledger, settled)
    record(report, "kill -9 worker", "kill -9 of like_worker mid-batch", ledger, settled,
           "tests/faults -k kill_9")


def test_a_monolith_outage_while_draining_is_waited_out(
    faulty: EmbeddedSystem, faulty_api: Api, faulty_aws: Aws, report: dict[str, Any]
) -> None:
    # GIVEN a backlog the workers are about to drain (the like worker held while it is sent: it drains
    # 500 likes faster than they are sent, so a backlog exists only if it waits)
    like_worker = faulty.workers["like_worker"]
    warm_up = open_ledger(faulty_api)
    send_likes(faulty_api, warm_up, 1)  # the worker is authorised and polling: it counts this one
    mysfit_id = next(iter(warm_up.likes_accepted))
    eventually(lambda: faulty_api.likes(mysfit_id), lambda likes: likes == warm_up.likes_before[mysfit_id] + 1)
    like_worker.signal(signal.SIGSTOP)
    try:
        ledger = open_ledger(faulty_api)
        send_likes(faulty_api, ledger, BACKLOG)
        send_adoptions(faulty_api, faulty_aws, ledger)
        failures_before = _failure_lines(faulty)
        pauses_before = _log_lines(faulty, "like_worker", _PAUSING)

        # WHEN the monolith is down as it drains, until the like worker has backed off twice (its pause doubling)
        assert faulty.monolith is not None
        faulty.monolith.kill_group()
        down_at = time.monotonic()
    finally:
        like_worker.signal(signal.SIGCONT)
    eventually(lambda: _log_lines(faulty, "like_worker", _PAUSING) - pauses_before, lambda n: n >= 2, timeout=60)
    faulty.start_monolith()
    outage_seconds = round(time.monotonic() - down_at, 1)

    # THEN the workers back off (no hot loop, nothing in a DLQ) and drain once it is back
    settled = settle(faulty_api, faulty_aws, ledger, down_at)
    assert_exactly_once(faulty_aws, ledger, settled)
    failures = _failure_lines(faulty) - failures_before
    assert failures <= 4 * (BACKLOG + 20), f"{failures} failed attempts: a hot loop"
    record(report, "monolith down", "monolith killed while workers drain, until they back off twice", ledger,
           settled, "tests/faults -k monolith_outage")
    report["monolith down"]["failed_attempts"] = failures
    report["monolith down"]["outage_seconds"] = outage_seconds


def test_with_the_emulator_down_likes_are_refused_and_workers_survive(
    faulty: EmbeddedSystem, faulty_api: Api, faulty_aws: Aws, proxy: CuttableProxy, report: dict[str, Any]
) -> None:
    # GIVEN a load in progress
    ledger = open_ledger(faulty_api)
    send_likes(faulty_api, ledger, LOAD // 2)
    mysfit_id = next(iter(ledger.likes_before))

    # WHEN the emulator stops answering
    receive_failures = {name: _log_lines(faulty, name, _RECEIVE_FAILED) for name in faulty.workers}
    proxy.cut()
    cut_at = time.monotonic()
    try:
        response = faulty_api.like(mysfit_id)
        # until every worker has had a receive fail, and retried it
        def retried() -> bool:
            return all(_log_lines(faulty, name, _RECEIVE_FAILED) - n >= 2 for name, n in receive_failures.items())

        eventually(retried, bool, timeout=60)
        workers_alive = all(worker.running for worker in faulty.workers.values())
    finally:
        proxy.start()

    # THEN a like is refused with 503 and Retry-After, the workers live on and resume
    assert response.status_code == 503
    assert response.headers["Retry-After"].isdigit()
    assert response.json()["error"]["code"] == "service_unavailable"
    assert workers_alive
    send_likes(faulty_api, ledger, LOAD // 2)
    send_adoptions(faulty_api, faulty_aws, ledger)
    settled = settle(faulty_api, faulty_aws, ledger, cut_at)
    assert_exactly_once(faulty_aws, ledger, settled)
    record(report, "emulator down", "AWS endpoint unreachable until the workers retried (503 + Retry-After)",
           ledger, settled,
           "tests/faults -k emulator_down")


def test_sigterm_under_load_drains_and_exits_within_the_stop_timeout(
    faulty: EmbeddedSystem, faulty_api: Api, faulty_aws: Aws, report: dict[str, Any]
) -> None:
    ledger = open_ledger(faulty_api)
    sender = in_background(lambda: send_likes(faulty_api, ledger, LOAD))
    eventually(lambda: sum(ledger.likes_accepted.values()), lambda n: n >= LOAD // 5, timeout=60)
    worker = faulty.workers["like_worker"]

    worker.signal(signal.SIGTERM)
    stopped_at = time.monotonic()
    exit_code = worker.wait(timeout=60)
    exit_seconds = time.monotonic() - stopped_at
    sender.join()
    send_adoptions(faulty_api, faulty_aws, ledger)

    assert exit_code == 0
    settled = settle(faulty_api, faulty_aws, ledger, stopped_at)
    assert_exactly_once(faulty_aws, ledger, settled)
    record(report, "SIGTERM under load", "SIGTERM to like_worker mid-load", ledger, settled,
           "tests/faults -k sigterm")
    report["SIGTERM under load"]["exit_seconds"] = round(exit_seconds, 1)


def test_a_fulfil_that_always_fails_ends_in_the_dlq_and_spares_the_rest(
    faulty: EmbeddedSystem, faulty_api: Api, faulty_aws: Aws, report: dict[str, Any]
) -> None:
    # GIVEN a mysfit whose record is broken, so that every like of it fails in DynamoDB
    broken = faulty_aws.add_mysfit("broken-record")
    faulty_aws.dynamodb.update_item(
        TableName=faulty_aws.topology.mysfits_table,
        Key={"MysfitId": {"S": broken}},
        UpdateExpression="SET Likes = :text",
        ExpressionAttributeValues={":text": {"S": "not a number"}},
    )
    ledger = open_ledger(faulty_api)
    started = time.monotonic()

    # WHEN it is liked among good likes
    like = LikeRequested(mysfit_id=broken)
    faulty_aws.publish(like.to_json(), like.event_type)
    send_likes(faulty_api, ledger, LOAD // 5)

    # THEN the failing like reaches the DLQ after maxReceiveCount tries; the good ones count once
    dlq = faulty_aws.topology.queues["like"].dlq_url
    eventually(lambda: faulty_aws.depth(dlq), lambda depth: depth == 1, timeout=120)
    settled = settle(faulty_api, faulty_aws, ledger, started)
    assert (settled.lost_likes, settled.duplicated_likes) == (0, 0)
    drained = faulty_aws.sqs.receive_message(QueueUrl=dlq, WaitTimeSeconds=1)["Messages"]
    faulty_aws.sqs.delete_message(QueueUrl=dlq, ReceiptHandle=drained[0]["ReceiptHandle"])
    faulty_aws.dynamodb.delete_item(TableName=faulty_aws.topology.mysfits_table, Key={"MysfitId": {"S": broken}})
    assert drained[0]["Body"] == like.to_json()
    record(report, "fulfil always fails", "one like whose DynamoDB write always fails", ledger, settled,
           "tests/faults -k always_fails")


def test_fifty_concurrent_adoptions_have_exactly_one_winner(
    faulty_api: Api, faulty_aws: Aws, report: dict[str, Any]
) -> None:
    ledger = open_ledger(faulty_api)
    started = time.monotonic()

    send_adoptions(faulty_api, faulty_aws, ledger, mysfits=1, rivals=50)

    settled = settle(faulty_api, faulty_aws, ledger, started)
    assert_exactly_once(faulty_aws, ledger, settled)
    (mysfit_id,) = ledger.adoptions_accepted
    assert adoption_outcomes(faulty_aws, ledger)[mysfit_id]["rejected"] == ledger.adoptions_accepted[mysfit_id] - 1
    record(report, "50 concurrent adoptions", "50 adoptions of one mysfit at once", ledger, settled,
           "tests/faults -k fifty")


_PAUSING = "Every message of the batch failed; pausing"
_RECEIVE_FAILED = "Receive failed; retrying"


def _log_lines(system: EmbeddedSystem, worker: str, text: str) -> int:
    """How many lines of the worker's log (restarts included) carry ``text``."""
    assert system.config.log_dir is not None
    path: Path = system.config.log_dir / f"{worker}.log"
    return path.read_text().count(text) if path.exists() else 0


def _failure_lines(system: EmbeddedSystem) -> int:
    failed = "Processing failed; retrying later"
    return sum(_log_lines(system, name, failed) for name in ("like_worker", "adopt_worker"))
