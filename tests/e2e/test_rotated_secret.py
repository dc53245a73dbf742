"""A worker with a wrong fulfil secret stops consuming and keeps the messages; the right one drains them."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from embedded.system import EmbeddedSystem
from tests.e2e.client import Api, Aws, eventually
from tests.systems import running_system

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

LIKES = 20


def test_a_wrong_secret_keeps_every_message_and_the_right_one_counts_each_once(
    system: EmbeddedSystem, output_dir: Path, tmp_path: Path
) -> None:
    # GIVEN workers whose secret, read from a file, is not the monolith's
    secret_file = tmp_path / "fulfil-secret"
    secret_file.write_text("rotated-away")
    with running_system(
        output_dir,
        "rotated-secret",
        endpoint_url=system.endpoint_url,
        project="rotated",
        extra_env={"FULFIL_SECRET_FILE": str(secret_file), "WORKER_AUTH_RETRY_SECONDS": "1"},
    ) as rotated:
        assert rotated.topology is not None
        api, aws = Api(rotated.api_url), Aws(rotated.endpoint_url, rotated.topology)
        mysfit_id = aws.add_mysfit(f"rotated-{uuid.uuid4()}")
        queue, dlq = rotated.topology.queues["like"].url, rotated.topology.queues["like"].dlq_url

        # WHEN likes arrive
        assert [api.like(mysfit_id).status_code for _ in range(LIKES)] == [202] * LIKES

        # THEN none is counted, none is lost to the DLQ however long it lasts, and the worker says why
        log = output_dir / "rotated-secret" / "like_worker.log"
        eventually(lambda: log.read_text() if log.exists() else "", lambda text: "Not authorised" in text)
        # several probes later (a worker in a hot loop would have burnt its receives by then)
        eventually(lambda: log.read_text().count("Not authorised by the monolith"), lambda n: n >= 4, timeout=60)
        assert api.likes(mysfit_id) == 0
        assert aws.depth(queue) == LIKES
        assert aws.depth(dlq) == 0

        # WHEN the secret is put right at its source
        secret_file.write_text(rotated.config.fulfil_secret)

        # THEN the worker resumes by itself and every like counts once
        eventually(lambda: api.likes(mysfit_id), lambda likes: likes == LIKES, timeout=60)
        eventually(lambda: aws.depth(queue), lambda depth: depth == 0, timeout=30)
        assert aws.depth(dlq) == 0
        assert api.likes(mysfit_id) == LIKES
