"""One corrupt record never holds up the others: its likes go to the DLQ, the healthy ones count."""

from __future__ import annotations

import json
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest

from mysfits_common.events import LikeRequested
from tests.e2e.client import Api, Aws, eventually

pytestmark = pytest.mark.e2e

LIKES = 50


def test_likes_of_a_corrupt_mysfit_go_to_the_dlq_and_the_healthy_ones_all_count(
    api: Api, aws: Aws, pool: ThreadPoolExecutor
) -> None:
    # GIVEN a healthy mysfit and one liked once before its item was corrupted (Likes as a string)
    healthy = aws.add_mysfit(f"healthy-{uuid.uuid4()}")
    corrupt = aws.add_mysfit(f"corrupt-{uuid.uuid4()}")
    assert api.like(corrupt).status_code == 202
    eventually(lambda: api.likes(corrupt), lambda likes: likes == 1)
    aws.dynamodb.update_item(
        TableName=aws.topology.mysfits_table,
        Key={"MysfitId": {"S": corrupt}},
        UpdateExpression="SET Likes = :text",
        ExpressionAttributeValues={":text": {"S": "not a number"}},
    )
    dlq = aws.topology.queues["like"].dlq_url
    bad = [LikeRequested(mysfit_id=corrupt) for _ in range(LIKES)]
    try:
        # WHEN 50 likes of each arrive together (the corrupt one's straight on the topic: its item
        # can no longer be read, so the API cannot accept them)
        def like_both(index: int) -> int:
            aws.publish(bad[index].to_json(), "LikeRequested")
            return api.like(healthy).status_code

        assert list(pool.map(like_both, range(LIKES))) == [202] * LIKES

        # THEN all 50 healthy likes count, and exactly the corrupt one's 50 reach the DLQ
        eventually(lambda: api.likes(healthy), lambda likes: likes == LIKES, timeout=120)
        eventually(lambda: aws.depth(dlq), lambda depth: depth == LIKES, timeout=120)
        eventually(aws.drained, bool, timeout=60)
    finally:
        dead = aws.take_all(dlq)
        aws.dynamodb.delete_item(TableName=aws.topology.mysfits_table, Key={"MysfitId": {"S": corrupt}})
    assert sorted(json.loads(body)["eventId"] for body in dead) == sorted(event.event_id for event in bad)
    assert api.likes(healthy) == LIKES
