"""Likes travel monolith -> SNS -> SQS -> like_worker -> monolith -> DynamoDB, and count once."""

from __future__ import annotations

import operator
import time
from concurrent.futures import ThreadPoolExecutor
from functools import partial

import pytest

from mysfits_common.events import LikeRequested
from tests.e2e.client import Api, Aws, eventually

pytestmark = pytest.mark.e2e


def test_a_like_raises_the_count_by_exactly_one(api: Api, aws: Aws, mysfit_id: str) -> None:
    started = time.monotonic()

    response = api.like(mysfit_id)

    assert response.status_code == 202
    assert response.json()["status"] == "accepted"
    eventually(lambda: api.likes(mysfit_id), lambda likes: likes >= 1, timeout=15)
    print(f"like visible after {time.monotonic() - started:.2f} s")
    eventually(aws.drained, bool)
    assert api.likes(mysfit_id) == 1


def test_fifty_likes_then_fifty_more_count_exactly(
    api: Api, aws: Aws, mysfit_id: str, pool: ThreadPoolExecutor
) -> None:
    for expected in (50, 100):
        statuses = list(pool.map(lambda _: api.like(mysfit_id).status_code, range(50)))

        assert statuses == [202] * 50
        eventually(lambda: api.likes(mysfit_id), partial(operator.le, expected), timeout=60)
        eventually(aws.drained, bool)
        assert api.likes(mysfit_id) == expected


def test_the_same_event_published_twice_counts_once(api: Api, aws: Aws, mysfit_id: str) -> None:
    event = LikeRequested(mysfit_id=mysfit_id)

    aws.publish(event.to_json(), event.event_type)
    aws.publish(event.to_json(), event.event_type)

    eventually(lambda: aws.outcomes(mysfit_id), lambda outcomes: outcomes.get("applied") == 1)
    eventually(aws.drained, bool)
    assert api.likes(mysfit_id) == 1
    assert aws.depth(aws.topology.queues["like"].dlq_url) == 0
