"""AWS on its bad days, rehearsed with the emulator's fault injection (embedded.emulator.faults) against
the real processes: conflicting and throttled transactions, a slow SNS, answers lost after the work
was done. Each event is still counted exactly once, nothing healthy reaches a DLQ, and no public
request outlives its budget."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import requests

from embedded.emulator.faults import clear_faults, read_faults, set_faults
from embedded.system import EmbeddedSystem
from tests.conftest import running_emulator
from tests.e2e.client import Api, Aws, eventually
from tests.systems import running_system

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

REQUEST_BUDGET_SECONDS = 2
# Two receives: a message whose receives contention spent would reach its DLQ at once.
MAX_RECEIVE_COUNT = 2


@pytest.fixture(scope="module")
def bad_days(output_dir: Path) -> Iterator[EmbeddedSystem]:
    """A system on an emulator of its own: the rules set here touch no other test's system."""
    with running_emulator(output_dir / "bad-days" / "emulator.log") as emulator, running_system(
        output_dir,
        "bad-days",
        endpoint_url=emulator,
        project="bad-days",
        visibility_timeout=5,
        max_receive_count=MAX_RECEIVE_COUNT,
        extra_env={
            "WORKER_BACKOFF_BASE_SECONDS": "1",
            "WORKER_BACKOFF_MAX_SECONDS": "2",
            "REQUEST_BUDGET_SECONDS": str(REQUEST_BUDGET_SECONDS),
        },
    ) as running:
        yield running


@pytest.fixture
def api(bad_days: EmbeddedSystem) -> Iterator[Api]:
    with Api(bad_days.api_url) as api:
        yield api


@pytest.fixture
def aws(bad_days: EmbeddedSystem) -> Iterator[Aws]:
    assert bad_days.topology is not None
    yield Aws(bad_days.endpoint_url, bad_days.topology)
    clear_faults(bad_days.endpoint_url)


def send(api: Api, action: str, mysfit_id: str, attempts: int = 8) -> requests.Response:
    """A careful client: one Idempotency-Key per request, and a retry with it on a 503 or no answer."""
    key = str(uuid.uuid4())
    call = api.like if action == "like" else api.adopt
    response: requests.Response | None = None
    for _ in range(attempts):
        try:
            response = call(mysfit_id, key)
        except requests.RequestException:
            time.sleep(0.5)
            continue
        if response.status_code != 503:
            return response
        time.sleep(float(response.headers.get("Retry-After", "1")) / 4)
    assert response is not None, "no answer at all"
    return response


def fired(endpoint_url: str) -> list[int]:
    counts: list[int] = read_faults(endpoint_url)["fired"]
    return counts


def test_contention_on_every_transaction_sends_no_healthy_like_or_adoption_to_a_dlq(
    api: Api, aws: Aws, bad_days: EmbeddedSystem
) -> None:
    # GIVEN DynamoDB cancelling half the transactions for a conflict and throttling a third of the rest
    mysfits = [aws.add_mysfit(f"contended-{uuid.uuid4()}") for _ in range(3)]
    adopted = aws.add_mysfit(f"contended-adoption-{uuid.uuid4()}")
    rules: list[dict[str, Any]] = [
        {"service": "dynamodb", "action": "TransactWriteItems", "fault": "conflict", "probability": 0.5},
        {"service": "dynamodb", "action": "TransactWriteItems", "fault": "throttle", "probability": 0.3},
    ]
    set_faults(bad_days.endpoint_url, rules, seed=21)

    # WHEN likes and rival adoptions arrive
    with ThreadPoolExecutor(max_workers=8) as pool:
        likes = list(pool.map(lambda i: send(api, "like", mysfits[i % 3]).status_code, range(45)))
        adoptions = list(pool.map(lambda _: send(api, "adopt", adopted).status_code, range(4)))
    assert likes == [202] * 45
    assert all(status in (202, 409) for status in adoptions)

    # THEN each like counts once, one adoption wins, and nothing reached a DLQ although both faults fired
    eventually(aws.drained, bool, timeout=120)
    assert [api.likes(mysfit_id) for mysfit_id in mysfits] == [15, 15, 15]
    assert aws.outcomes(adopted).get("applied") == 1
    assert api.mysfit(adopted)["adopted"] is True
    assert aws.dead_letters() == 0
    assert all(count > 0 for count in fired(bad_days.endpoint_url))


def test_a_like_answers_503_within_its_budget_while_sns_is_slow_and_its_retry_counts_once(
    api: Api, aws: Aws, bad_days: EmbeddedSystem
) -> None:
    # GIVEN an SNS that takes 6 s to answer (past the monolith's read timeout, so every call is retried)
    mysfit_id = aws.add_mysfit(f"slow-sns-{uuid.uuid4()}")
    set_faults(bad_days.endpoint_url, [{"service": "sns", "action": "*", "fault": "latency", "seconds": 6}])
    key = str(uuid.uuid4())

    # WHEN a like is sent
    started = time.monotonic()
    slow = api.like(mysfit_id, key)
    answered_in = time.monotonic() - started

    # THEN it is a 503 with Retry-After within its budget, not an answer after the load balancer gave up
    assert slow.status_code == 503
    assert "Retry-After" in slow.headers
    assert answered_in < REQUEST_BUDGET_SECONDS + 1.5

    # WHEN SNS is well again and the client retries with its key (its first publish may have landed)
    clear_faults(bad_days.endpoint_url)
    retried = api.like(mysfit_id, key)

    # THEN the retry is accepted as the same like, counted once however many publishes landed
    assert retried.status_code == 202
    eventually(lambda: api.likes(mysfit_id), lambda likes: likes == 1, timeout=30)
    time.sleep(8)  # the slow publishes land at 6 s; their copies must change nothing
    eventually(aws.drained, bool, timeout=30)
    assert api.likes(mysfit_id) == 1
    assert aws.dead_letters() == 0


def test_answers_lost_after_the_work_was_done_count_each_event_once(
    api: Api, aws: Aws, bad_days: EmbeddedSystem
) -> None:
    # GIVEN SNS, SQS and DynamoDB each applying some requests and then dropping the connection (not
    # ReceiveMessage: SQS counts a receive whose answer was lost, as it counts any, and with this
    # module's maxReceiveCount of 2 two lost receives of one message would dead-letter it by design)
    mysfits = [aws.add_mysfit(f"lost-answers-{uuid.uuid4()}") for _ in range(2)]
    rules = [
        {"service": "sns", "action": "PublishBatch", "fault": "lose-answer", "probability": 0.3},
        {"service": "sqs", "action": "DeleteMessageBatch", "fault": "lose-answer", "probability": 0.3},
        {"service": "dynamodb", "action": "TransactWriteItems", "fault": "lose-answer", "probability": 0.3},
    ]
    set_faults(bad_days.endpoint_url, rules, seed=7)

    with ThreadPoolExecutor(max_workers=6) as pool:
        statuses = list(pool.map(lambda i: send(api, "like", mysfits[i % 2]).status_code, range(40)))

    assert statuses == [202] * 40
    eventually(aws.drained, bool, timeout=120)
    assert [api.likes(mysfit_id) for mysfit_id in mysfits] == [20, 20]
    assert aws.dead_letters() == 0
    assert all(count > 0 for count in fired(bad_days.endpoint_url))
