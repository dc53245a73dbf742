"""A worker's replacement gets the first message promptly: the stopped worker left no long poll open
at SQS to take it out of sight for the visibility timeout (a deploy or scale-in otherwise delays some
events by it: 30.5 s seen for the first like after a restart)."""

from __future__ import annotations

import signal
import time
import uuid
from pathlib import Path

import pytest

from embedded.system import EmbeddedSystem
from tests.e2e.client import Api, Aws, eventually
from tests.systems import running_system

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

VISIBILITY_TIMEOUT = 30
WAIT_SECONDS = 5


def test_a_like_sent_just_after_a_worker_stopped_is_counted_promptly_by_its_replacement(
    system: EmbeddedSystem, output_dir: Path
) -> None:
    # GIVEN workers that long-poll (5 s here, 20 s as deployed: a poll left open for any of them would
    # take the like) on queues whose visibility timeout is 30 s
    with running_system(
        output_dir,
        "worker-restart",
        endpoint_url=system.endpoint_url,
        project="restart",
        worker_wait_seconds=WAIT_SECONDS,
        visibility_timeout=VISIBILITY_TIMEOUT,
    ) as restarted:
        assert restarted.topology is not None
        api, aws = Api(restarted.api_url), Aws(restarted.endpoint_url, restarted.topology)
        mysfit_id = aws.add_mysfit(f"restart-{uuid.uuid4()}")
        worker = restarted.workers["like_worker"]
        time.sleep(1)  # idle, in the middle of a long poll (4 s of it left)

        # WHEN the idle worker is stopped (a deploy), and a like arrives right after
        worker.signal(signal.SIGTERM)
        assert worker.wait(timeout=WAIT_SECONDS + 20) == 0
        assert api.like(mysfit_id).status_code == 202
        sent = time.monotonic()

        # THEN its replacement (the supervisor's) counts it in seconds, not after the visibility timeout
        eventually(lambda: api.likes(mysfit_id), lambda likes: likes == 1, timeout=VISIBILITY_TIMEOUT + 15)
        assert time.monotonic() - sent < VISIBILITY_TIMEOUT / 3
        assert aws.depth(restarted.topology.queues["like"].dlq_url) == 0
