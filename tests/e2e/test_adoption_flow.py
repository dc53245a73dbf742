"""Adoptions are decided by adopt_worker through the monolith's conditional write: one winner."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.e2e.client import Api, Aws, eventually

pytestmark = pytest.mark.e2e


def test_an_adoption_flips_adopted(api: Api, aws: Aws, mysfit_id: str) -> None:
    response = api.adopt(mysfit_id)

    assert response.status_code == 202
    eventually(lambda: api.mysfit(mysfit_id)["adopted"], bool)
    again = api.adopt(mysfit_id)
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "already_adopted"


def test_twenty_concurrent_adoptions_leave_exactly_one_winner(
    api: Api, aws: Aws, mysfit_id: str, pool: ThreadPoolExecutor
) -> None:
    statuses = list(pool.map(lambda _: api.adopt(mysfit_id).status_code, range(20)))

    accepted = statuses.count(202)
    assert accepted >= 1
    assert set(statuses) <= {202, 409}
    outcomes = eventually(
        lambda: aws.outcomes(mysfit_id), lambda o: sum(o.values()) == accepted, timeout=60
    )
    assert outcomes == {"applied": 1, **({"rejected": accepted - 1} if accepted > 1 else {})}
    assert api.mysfit(mysfit_id)["adopted"] is True
    eventually(aws.drained, bool)
    assert aws.depth(aws.topology.queues["adoption"].dlq_url) == 0
