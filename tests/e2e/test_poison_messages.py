"""A poison message reaches the DLQ after maxReceiveCount receives; the good ones around it count."""

from __future__ import annotations

import json

import pytest

from mysfits_common.events import LikeRequested
from tests.e2e.client import Api, Aws, eventually

pytestmark = pytest.mark.e2e


def test_poison_goes_to_the_dlq_and_good_likes_around_it_count(api: Api, aws: Aws, mysfit_id: str) -> None:
    dlq = aws.topology.queues["like"].dlq_url
    wrong_version = {**LikeRequested(mysfit_id=mysfit_id).to_message(), "schemaVersion": 99}
    unknown_mysfit = LikeRequested(mysfit_id="no-such-mysfit").to_json()
    poison = ["not json at all", json.dumps(wrong_version), unknown_mysfit]
    try:
        aws.publish(LikeRequested(mysfit_id=mysfit_id).to_json(), "LikeRequested")
        for body in poison:
            aws.publish(body, "LikeRequested")
        aws.publish(LikeRequested(mysfit_id=mysfit_id).to_json(), "LikeRequested")

        eventually(lambda: aws.depth(dlq), lambda depth: depth == len(poison), timeout=60)
        eventually(aws.drained, bool)
        assert api.likes(mysfit_id) == 2
    finally:
        dead = aws.take_all(dlq)
    assert sorted(dead) == sorted(poison)
