"""A viral mysfit: a thousand likes on one item, counted at the emulator as AWS would bill them.

DynamoDB takes about 1,000 writes per second on one item. Likes reach it aggregated per batch (one
``ADD Likes :n`` per mysfit per transaction), so a burst on one mysfit writes its item at most once
per ten likes; and concurrent requests publish their events together in PublishBatch requests.
"""

from __future__ import annotations

import operator
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path

import pytest

from embedded.emulator.request_count import read_counts, reset_counts
from embedded.system import EmbeddedSystem
from tests.e2e.client import Api, Aws, eventually
from tests.systems import running_system

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
LIKES = 1000


@pytest.fixture(scope="module")
def counted_system(output_dir: Path) -> Iterator[EmbeddedSystem]:
    """A system of its own whose emulator counts requests, with the like worker not started yet."""
    # An emulator of its own: it counts the requests it serves.
    with running_system(
        output_dir, "e2e-viral-mysfit", run_workers=False, count_requests=True, worker_wait_seconds=2, project="viral"
    ) as running:
        yield running


def test_a_thousand_likes_on_one_mysfit_write_its_item_at_most_a_hundred_times(
    counted_system: EmbeddedSystem,
) -> None:
    # GIVEN a mysfit of its own, and a thousand likes for it waiting in the queue (the worker is not running)
    assert counted_system.topology is not None
    api, aws = Api(counted_system.api_url), Aws(counted_system.endpoint_url, counted_system.topology)
    mysfit_id = aws.add_mysfit(f"viral-{uuid.uuid4()}")
    reset_counts(counted_system.endpoint_url)
    with ThreadPoolExecutor(max_workers=16) as pool:
        statuses = list(pool.map(lambda _: api.like(mysfit_id).status_code, range(LIKES)))
    assert statuses == [202] * LIKES

    # WHEN the like worker drains them
    counted_system.start_worker("like_worker")
    eventually(lambda: api.likes(mysfit_id), partial(operator.le, LIKES), timeout=180)
    eventually(aws.drained, bool, timeout=60)

    # THEN each like counted once, the item took at most one write per ten likes,
    # and every event went out in a PublishBatch entry, none in a Publish of its own
    assert api.likes(mysfit_id) == LIKES
    counts = read_counts(counted_system.endpoint_url)
    updates = counts.updates_of(counted_system.topology.mysfits_table, {"MysfitId": {"S": mysfit_id}})
    assert 0 < updates <= LIKES // 10
    by_action = counts.by_action()
    assert by_action.get(("sns", "Publish"), 0) == 0
    assert sum(counts.batch_entries.values()) == LIKES
