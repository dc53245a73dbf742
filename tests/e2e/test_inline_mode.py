"""The strangler switch: `inline` gives the same results with no worker running."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from embedded.system import EmbeddedSystem
from tests.e2e.client import Api, Aws
from tests.systems import running_system

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def inline_system(system: EmbeddedSystem, output_dir: Path) -> Iterator[EmbeddedSystem]:
    # Its own stacks (project name) in the same emulator, and no workers at all.
    with running_system(
        output_dir,
        "e2e-inline",
        endpoint_url=system.endpoint_url,
        project="inline",
        like_mode="inline",
        adopt_mode="inline",
        run_workers=False,
    ) as running:
        yield running


def test_inline_likes_and_adoptions_are_done_in_the_request(
    inline_system: EmbeddedSystem, pool: ThreadPoolExecutor
) -> None:
    assert inline_system.topology is not None and not inline_system.workers
    api, aws = Api(inline_system.api_url), Aws(inline_system.endpoint_url, inline_system.topology)
    mysfit_id = aws.add_mysfit("inline-mysfit")

    statuses = list(pool.map(lambda _: api.like(mysfit_id).status_code, range(20)))
    adoptions = list(pool.map(lambda _: api.adopt(mysfit_id).status_code, range(10)))

    assert statuses == [200] * 20
    assert api.likes(mysfit_id) == 20
    assert adoptions.count(200) == 1 and adoptions.count(409) == 9
    assert api.mysfit(mysfit_id)["adopted"] is True
    assert aws.drained()  # nothing was published
