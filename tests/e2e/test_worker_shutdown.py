"""SIGTERM makes a worker drain: in-flight likes finish, unstarted ones go back, none is lost."""

from __future__ import annotations

import signal
from concurrent.futures import ThreadPoolExecutor

import pytest

from embedded.system import EmbeddedSystem
from tests.e2e.client import Api, Aws, eventually

pytestmark = pytest.mark.e2e


def test_sigterm_with_messages_in_flight_loses_none(
    system: EmbeddedSystem, api: Api, aws: Aws, mysfit_id: str, pool: ThreadPoolExecutor
) -> None:
    # GIVEN a stream of likes that the like worker is busy with
    worker = system.workers["like_worker"]
    statuses = list(pool.map(lambda _: api.like(mysfit_id).status_code, range(40)))
    assert statuses == [202] * 40
    eventually(lambda: api.likes(mysfit_id), lambda likes: likes >= 1, timeout=15)

    restarts = system.restarts["like_worker"]

    # WHEN the worker is told to stop mid-stream
    worker.signal(signal.SIGTERM)
    exit_code = worker.wait(timeout=45)

    # THEN it exits cleanly, and its replacement (started by the supervisor) finishes the rest once each
    assert exit_code == 0
    eventually(lambda: system.restarts["like_worker"], lambda count: count == restarts + 1)
    eventually(lambda: api.likes(mysfit_id), lambda likes: likes >= 40, timeout=90)
    eventually(aws.drained, bool, timeout=60)
    assert api.likes(mysfit_id) == 40
    assert aws.depth(aws.topology.queues["like"].dlq_url) == 0
