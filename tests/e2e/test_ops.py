"""python -m ops against the real embedded system: what it reports is what the test sent, and what
it changes (the switch, a redrive, a reset) the system does."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from embedded.processes import free_port
from embedded.system import EmbeddedSystem
from mysfits_common.events import LikeRequested
from ops.cli import main as ops_main
from tests.conftest import REPO_ROOT
from tests.e2e.client import Api, Aws, eventually
from tests.systems import running_system

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def ops(*args: str, endpoint_url: str | None, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run ``python -m ops`` as an operator would; ``--endpoint-url`` only where given."""
    argv = [sys.executable, "-m", "ops", *args]
    if endpoint_url is not None:
        argv += ["--endpoint-url", endpoint_url]
    environment = {**os.environ, **(env or {})}
    return subprocess.run(
        argv, cwd=REPO_ROOT, capture_output=True, text=True, timeout=120, check=False, env=environment
    )


def ops_json(*args: str, endpoint_url: str) -> Any:
    result = ops(*args, "--json", endpoint_url=endpoint_url)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@pytest.fixture(scope="module")
def quiet(system: EmbeddedSystem, output_dir: Path) -> Iterator[EmbeddedSystem]:
    """A system of its own stacks (project "ops") in the same emulator, with no workers: what the
    test sends stays in the queues, where ops can count it."""
    with running_system(
        output_dir,
        "e2e-ops",
        endpoint_url=system.endpoint_url,
        project="ops",
        run_workers=False,
        max_receive_count=2,
        switch_cache_seconds=1,
    ) as running:
        yield running


def _queue(status: dict[str, Any], name: str) -> dict[str, Any]:
    (entry,) = [queue for queue in status["queues"] if queue["name"] == name]
    return dict(entry)


def test_status_counts_what_was_sent(quiet: EmbeddedSystem) -> None:
    assert quiet.topology is not None
    api, aws = Api(quiet.api_url), Aws(quiet.endpoint_url, quiet.topology)
    project = ("--project", "ops", "--status-dir", str(quiet.status_dir))
    ops_json("reset", "--project", "ops", endpoint_url=quiet.endpoint_url)
    liked, adopted = aws.add_mysfit(f"ops-{uuid.uuid4()}"), aws.add_mysfit(f"ops-{uuid.uuid4()}")

    # GIVEN 3 likes and 2 adoption requests waiting (no worker), and 1 like given up on: received
    # maxReceiveCount (2) times by a consumer that failed it, then moved to the DLQ on the next receive
    assert [api.like(liked).status_code for _ in range(3)] == [202] * 3
    assert [api.adopt(adopted).status_code for _ in range(2)] == [202] * 2
    dead = LikeRequested(mysfit_id=liked)
    aws.sqs.send_message(QueueUrl=quiet.topology.queues["like"].dlq_url, MessageBody=dead.to_json())

    # WHEN the operator asks
    status = ops_json("status", *project, endpoint_url=quiet.endpoint_url)

    # THEN every number is what was sent
    like, adoption = _queue(status, "like"), _queue(status, "adoption")
    assert (like["queue"]["visible"], like["queue"]["inFlight"], like["dlq"]["visible"]) == (3, 0, 1)
    assert (adoption["queue"]["visible"], adoption["dlq"]["visible"]) == (2, 0)
    assert like["queue"]["name"] == "ops-like-requests" and like["dlq"]["name"] == "ops-like-requests-dlq"
    policies = {s["endpoint"]: json.loads(s["filterPolicy"]) for s in status["subscriptions"]}
    assert policies == {
        "ops-like-requests": {"event_type": ["LikeRequested"]},
        "ops-adoption-requests": {"event_type": ["AdoptionRequested"]},
    }
    assert status["switch"] == {"like": "queue", "adopt": "queue"}
    assert status["totals"] == {"mysfits": 14, "likes": 0, "adopted": 0}  # the 12 and this test's 2
    assert status["workers"] == []  # none runs, and no status file says otherwise

    # AND the table a person reads says the same
    text = ops("status", *project, endpoint_url=quiet.endpoint_url)
    assert text.returncode == 0, text.stderr
    assert "ops-like-requests-dlq" in text.stdout and "0 likes, 0 of 14 mysfits adopted" in text.stdout


def past_the_cache(system: EmbeddedSystem, switched_at: float) -> None:
    """Wait out the monolith's switch cache (``SWITCH_CACHE_SECONDS``), the bound its contract gives:
    after it every gunicorn process has read the new mode (a read in flight at the switch included)."""
    time.sleep(max(0.0, switched_at + system.config.switch_cache_seconds + 0.5 - time.monotonic()))


def test_switch_changes_what_the_monolith_does_without_a_restart(quiet: EmbeddedSystem) -> None:
    assert quiet.topology is not None and quiet.monolith is not None
    api, aws = Api(quiet.api_url), Aws(quiet.endpoint_url, quiet.topology)
    project, pid = ("--project", "ops"), quiet.monolith.pid
    mysfit_id = aws.add_mysfit(f"ops-{uuid.uuid4()}")
    queue = quiet.topology.queues["like"].url

    # WHEN likes are switched inline
    switched = ops_json("switch", "like", "inline", *project, endpoint_url=quiet.endpoint_url)
    assert switched["modes"] == {"like": "inline", "adopt": "queue"}

    # THEN once the monolith's cache period is over, every process counts a like in the request and
    # publishes nothing (before it, a process may still serve the mode it read last)
    past_the_cache(quiet, switched_at=time.monotonic())
    depth, likes = aws.depth(queue), api.likes(mysfit_id)
    assert [api.like(mysfit_id).status_code for _ in range(3)] == [200] * 3
    assert aws.depth(queue) == depth
    assert api.likes(mysfit_id) == likes + 3

    # WHEN switched back to the queue, THEN each like is one message in the queue, and counts no more inline
    ops_json("switch", "like", "queue", *project, endpoint_url=quiet.endpoint_url)
    past_the_cache(quiet, switched_at=time.monotonic())
    depth, likes = aws.depth(queue), api.likes(mysfit_id)
    assert [api.like(mysfit_id).status_code for _ in range(3)] == [202] * 3
    assert aws.depth(queue) == depth + 3
    assert api.likes(mysfit_id) == likes

    # AND the monolith was never restarted; `switch` alone shows the modes
    assert quiet.monolith.pid == pid and quiet.monolith.running
    assert ops_json("switch", *project, endpoint_url=quiet.endpoint_url)["modes"] == {"like": "queue", "adopt": "queue"}


def test_peek_shows_dead_letters_and_why_then_redrive_counts_them_once(
    system: EmbeddedSystem, api: Api, aws: Aws
) -> None:
    status_dir = ("--project", system.config.project, "--status-dir", str(system.status_dir))
    before = ops_json("status", *status_dir, endpoint_url=system.endpoint_url)
    (like_worker,) = [w for w in before["workers"] if w["service"] == "like_worker"]
    assert like_worker["source"] == "status file" and like_worker["lastPollSecondsAgo"] is not None

    # GIVEN likes of a mysfit that does not exist yet, given up on by the like worker
    mysfit_id = f"ops-late-{uuid.uuid4()}"
    events = [LikeRequested(mysfit_id=mysfit_id) for _ in range(2)]
    dlq_before = aws.depth(aws.topology.queues["like"].dlq_url)
    for event in events:
        aws.publish(event.to_json(), event.event_type)
    sent = {event.event_id for event in events}

    def ours() -> list[dict[str, Any]]:
        peeked = ops_json("peek", "--dlq", "like", *status_dir, endpoint_url=system.endpoint_url)["messages"]
        return [message for message in peeked if message["eventId"] in sent]

    # WHEN the operator peeks at the like DLQ (once the worker has given up on both: watched with one
    # cheap call a poll, not with a process of ops each time)
    dlq = aws.topology.queues["like"].dlq_url
    eventually(lambda: aws.depth(dlq), lambda depth: depth >= dlq_before + len(sent), timeout=60)
    found = eventually(ours, lambda messages: len(messages) == len(sent), timeout=60, interval=1)
    depth = aws.depth(aws.topology.queues["like"].dlq_url)

    # THEN each shows its event, mysfit, receives and the worker's reason, and the DLQ is unchanged
    assert {m["mysfitId"] for m in found} == {mysfit_id}
    assert all(m["receiveCount"] >= system.config.max_receive_count for m in found)
    assert all("unknown mysfit" in (m["reason"] or "") for m in found), found
    assert aws.depth(aws.topology.queues["like"].dlq_url) == depth
    assert {m["eventId"] for m in ours()} == sent  # still there, visible, for the next peek

    # AND the worker's counters say the same: each receive of each message failed
    after = ops_json("status", *status_dir, endpoint_url=system.endpoint_url)
    (counted,) = [w for w in after["workers"] if w["service"] == "like_worker"]
    assert counted["counts"]["failed"] - like_worker["counts"]["failed"] >= len(sent) * system.config.max_receive_count

    # WHEN the cause is fixed and the DLQ redriven
    aws.add_mysfit(mysfit_id)
    moved = ops_json("redrive", "--queue", "like", "--project", system.config.project, endpoint_url=system.endpoint_url)

    # THEN each like counts once
    assert moved["queue"] == "like" and moved["moved"] >= len(sent)
    eventually(lambda: api.likes(mysfit_id), lambda likes: likes == len(sent), timeout=60)
    assert aws.outcomes(mysfit_id) == {"applied": len(sent)}


def test_seed_adds_only_what_is_missing_and_reset_starts_over(quiet: EmbeddedSystem) -> None:
    assert quiet.topology is not None
    api, aws = Api(quiet.api_url), Aws(quiet.endpoint_url, quiet.topology)
    project = ("--project", "ops")
    assert ops_json("seed", *project, endpoint_url=quiet.endpoint_url) == {"added": 0}
    extra = aws.add_mysfit(f"ops-{uuid.uuid4()}")
    assert api.like(extra).status_code == 202

    result = ops_json("reset", *project, endpoint_url=quiet.endpoint_url)

    assert result["added"] == 12 and result["mysfitsRemoved"] >= 13
    assert aws.depth(quiet.topology.queues["like"].url) == 0 and aws.depth(quiet.topology.queues["like"].dlq_url) == 0
    assert len(api.get("/mysfits").json()["mysfits"]) == 12


def test_reset_refuses_a_target_that_is_not_local(quiet: EmbeddedSystem) -> None:
    remote = {"AWS_ENDPOINT_URL": "https://sqs.eu-west-1.amazonaws.com", "AWS_REGION": "eu-west-1"}

    result = ops("reset", "--project", "ops", endpoint_url=None, env=remote)

    assert result.returncode == 6
    assert result.stderr.count("\n") == 1 and "--yes-really" in result.stderr and "Traceback" not in result.stderr


def test_a_missing_stack_and_an_unreachable_endpoint_are_one_line_each(system: EmbeddedSystem) -> None:
    missing = ops("status", "--project", "nosuch", endpoint_url=system.endpoint_url)
    unreachable = ops("peek", "--dlq", "like", "--json", endpoint_url=f"http://127.0.0.1:{free_port()}")

    assert missing.returncode == 3 and missing.stderr.count("\n") == 1 and "nosuch-data" in missing.stderr
    assert unreachable.returncode == 5
    assert json.loads(unreachable.stderr)["error"]["code"] == "unreachable"


@pytest.mark.parametrize("command", ["status", "peek", "redrive", "switch", "seed", "reset"])
def test_every_command_has_help(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        ops_main([command, "--help"])

    assert exited.value.code == 0
    shown = capsys.readouterr().out
    assert "--project" in shown and "--json" in shown


def test_status_watch_refreshes_until_interrupted(system: EmbeddedSystem) -> None:
    argv = [sys.executable, "-m", "ops", "status", "--watch", "--json", "--interval", "0.2"]
    argv += [
        "--endpoint-url",
        system.endpoint_url,
        "--status-dir",
        str(system.status_dir),
        "--project",
        system.config.project,
    ]
    watch = subprocess.Popen(argv, cwd=REPO_ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert watch.stdout is not None
        refreshes = [json.loads(watch.stdout.readline()) for _ in range(2)]
    finally:
        watch.send_signal(signal.SIGINT)
        try:
            _, errors = watch.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            watch.kill()
            watch.communicate()
            raise

    assert all(refresh["project"] == system.config.project for refresh in refreshes)
    assert watch.returncode == 0, errors
