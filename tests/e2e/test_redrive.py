"""A DLQ has a way back: fix the cause, redrive, and every message counts once."""

from __future__ import annotations

import subprocess
import sys
import uuid

import pytest

from embedded.system import EmbeddedSystem
from mysfits_common.events import LikeRequested
from tests.conftest import REPO_ROOT
from tests.e2e.client import Api, Aws, eventually

pytestmark = pytest.mark.e2e


def test_redrive_after_fixing_the_cause_counts_every_like_once(system: EmbeddedSystem, api: Api, aws: Aws) -> None:
    # GIVEN likes for a mysfit that does not exist yet: each ends in the DLQ
    mysfit_id = f"late-{uuid.uuid4()}"
    events = [LikeRequested(mysfit_id=mysfit_id) for _ in range(5)]
    for event in events:
        aws.publish(event.to_json(), event.event_type)
    eventually(lambda: aws.depth(aws.topology.queues["like"].dlq_url), lambda depth: depth == len(events), timeout=60)

    # WHEN the cause is fixed and the DLQ is redriven with the command an operator would run
    aws.add_mysfit(mysfit_id)
    result = subprocess.run(
        [sys.executable, "-m", "ops", "redrive", "--queue", "like", "--project", system.config.project,
         "--endpoint-url", system.endpoint_url],
        cwd=REPO_ROOT, capture_output=True, text=True, timeout=120, check=False,
    )

    # THEN every like is counted once and both queues are empty
    assert result.returncode == 0, result.stderr
    assert f"Moved {len(events)} message(s)" in result.stdout
    eventually(lambda: api.likes(mysfit_id), lambda likes: likes == len(events), timeout=60)
    eventually(aws.drained, bool)
    assert aws.depth(aws.topology.queues["like"].dlq_url) == 0
    assert aws.outcomes(mysfit_id) == {"applied": len(events)}
