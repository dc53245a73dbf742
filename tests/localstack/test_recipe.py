"""The README's LocalStack recipe, run as a new user runs it, on LocalStack itself: LocalStack for
CloudFormation, SNS, SQS and SSM, the embedded emulator for DynamoDB, and ``python -m embedded`` (what
`make run` runs) pointed at both with ``AWS_ENDPOINT_URL`` and ``AWS_ENDPOINT_URL_DYNAMODB``; then
again, against the same LocalStack, as a user who stops and starts it.

The second implementation of AWS the suite checks the code against: every other test stands on the
embedded emulator, which is written to pass them."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest

from deploy.local import MESSAGING_TEMPLATE
from deploy.templates import load_template
from deploy.topology import Topology, read_topology
from embedded.config import SystemConfig
from embedded.processes import ManagedProcess, answers, free_port, wait_until
from mysfits_common.events import LikeRequested
from tests.conftest import REPO_ROOT, running_emulator
from tests.e2e.client import Api, Aws, eventually

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
SWITCH_CACHE_SECONDS = SystemConfig().switch_cache_seconds  # make run's: how soon a flip reaches the monolith


@dataclass
class Run:
    """One `make run` of the recipe: its process, API and the endpoints it was given."""

    process: ManagedProcess
    api: Api
    aws: Aws
    env: dict[str, str]


@pytest.fixture(scope="module")
def dynamodb(output_dir: Path) -> Iterator[str]:
    """The recipe's `python -m embedded.emulator`, for DynamoDB only."""
    with running_emulator(output_dir / "localstack-recipe" / "dynamodb.log") as url:
        yield url


def _client(service: str, url: str) -> Any:
    return boto3.session.Session(region_name="us-east-1").client(service, endpoint_url=url)


def _topology(localstack: str, dynamodb: str) -> Topology:
    """The stacks' outputs, each read from the CloudFormation that deployed it."""
    return read_topology(_client("cloudformation", dynamodb), _client("cloudformation", localstack), "mysfits")


def _recipe_env(name: str, localstack: str, dynamodb: str, output_dir: Path) -> dict[str, str]:
    """`AWS_ENDPOINT_URL=<LocalStack> AWS_ENDPOINT_URL_DYNAMODB=<emulator> make run`, on free ports,
    the workers' status files in a folder of the run's own."""
    return {
        **{key: value for key, value in os.environ.items() if not key.startswith("AWS_ENDPOINT_URL")},
        "AWS_ENDPOINT_URL": localstack,
        "AWS_ENDPOINT_URL_DYNAMODB": dynamodb,
        "API_PORT": str(free_port()),
        "WEBSITE_PORT": str(free_port()),
        "WORKER_STATUS_DIR": str(output_dir / "localstack-recipe" / name / "status"),
        "PYTHONUNBUFFERED": "1",
    }


def _start(name: str, output_dir: Path, localstack: str, dynamodb: str) -> Run:
    env = _recipe_env(name, localstack, dynamodb, output_dir)
    shutil.rmtree(env["WORKER_STATUS_DIR"], ignore_errors=True)
    process = ManagedProcess(
        name, [sys.executable, "-m", "embedded"], env, output_dir / "localstack-recipe" / name / "run.log"
    ).start()
    api_url = f"http://127.0.0.1:{env['API_PORT']}"

    def up() -> bool:
        assert process.running, f"{name} exited with {process.returncode}; see {process.log_path}"
        return answers(f"{api_url}/mysfits") and _workers_polling(env)

    wait_until(up, 120, f"{name} at {api_url}")
    return Run(process, Api(api_url), Aws(localstack, _topology(localstack, dynamodb), dynamodb_url=dynamodb), env)


def _workers_polling(env: dict[str, str]) -> bool:
    """Both workers have written a status file: each has started its first long poll."""
    status_dir = Path(env["WORKER_STATUS_DIR"])
    return all((status_dir / f"{worker}.json").exists() for worker in ("like_worker", "adopt_worker"))


def _stop(run: Run, *, at_once: bool = False) -> int | None:
    """Ctrl-C, as a user stops it: the workers finish what they hold (their last long poll answers
    first); ``at_once``: Ctrl-C twice, which kills every process at once."""
    run.api.session.close()
    run.process.signal(signal.SIGINT)
    if at_once:
        time.sleep(0.5)  # the first has reached the runner's handler
        run.process.signal(signal.SIGINT)
    run.process.wait(60)
    return run.process.stop(timeout=5)  # killed if it has not stopped by now; its log closed


@pytest.fixture(scope="module")
def first_run(localstack: str, dynamodb: str, output_dir: Path) -> Iterator[Run]:
    run = _start("first-run", output_dir, localstack, dynamodb)
    try:
        yield run
    finally:
        if run.process.running:
            run.process.stop(timeout=60)


def ops(run: Run, *args: str) -> subprocess.CompletedProcess[str]:
    """``python -m ops`` as the operator of the recipe runs it: boto3's standard configuration, no flags."""
    return subprocess.run(
        [sys.executable, "-m", "ops", *args],
        cwd=REPO_ROOT,
        env=run.env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def ops_json(run: Run, *args: str) -> Any:
    result = ops(run, *args, "--json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


# ---------------------------------------------------------------------------- the stacks
def test_localstacks_cloudformation_deploys_the_messaging_template_as_written(
    first_run: Run, localstack: str, dynamodb: str
) -> None:
    template, topology = load_template(MESSAGING_TEMPLATE), first_run.aws.topology
    sqs, sns, ssm = _client("sqs", localstack), _client("sns", localstack), _client("ssm", localstack)
    cloudformation = _client("cloudformation", localstack)
    assert (
        cloudformation.describe_stacks(StackName="mysfits-messaging")["Stacks"][0]["StackStatus"] == "CREATE_COMPLETE"
    )
    on_the_emulator = _client("cloudformation", dynamodb).list_stacks()["StackSummaries"]
    assert "mysfits-messaging" not in {stack["StackName"] for stack in on_the_emulator}

    # redrive policies: each queue to its DLQ, after the template's default maxReceiveCount
    max_receives = int(template["Parameters"]["MaxReceiveCount"]["Default"])
    for queue, dlq in ((pair.url, pair.dlq_url) for pair in topology.queues.values()):
        attributes = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["All"])["Attributes"]
        dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        assert json.loads(attributes["RedrivePolicy"]) == {
            "deadLetterTargetArn": dlq_arn,
            "maxReceiveCount": max_receives,
        }
        assert attributes["SqsManagedSseEnabled"] == "true"
        assert attributes["VisibilityTimeout"] == str(template["Parameters"]["VisibilityTimeout"]["Default"])

    # subscriptions: raw delivery, one event type each, filtered on the message attribute
    declared = {
        props["FilterPolicy"]["event_type"][0]: props
        for props in (r["Properties"] for r in template["Resources"].values() if r["Type"] == "AWS::SNS::Subscription")
    }
    subscriptions = sns.list_subscriptions_by_topic(TopicArn=topology.events_topic_arn)["Subscriptions"]
    found = {}
    for subscription in subscriptions:
        attributes = sns.get_subscription_attributes(SubscriptionArn=subscription["SubscriptionArn"])["Attributes"]
        policy = json.loads(attributes["FilterPolicy"])
        found[policy["event_type"][0]] = subscription["Endpoint"]
        assert policy == declared[policy["event_type"][0]]["FilterPolicy"]
        assert attributes["FilterPolicyScope"] == "MessageAttributes"
        assert attributes["RawMessageDelivery"] == "true"
    assert set(found) == {"LikeRequested", "AdoptionRequested"}
    assert found["LikeRequested"].endswith(":mysfits-like-requests")
    assert found["AdoptionRequested"].endswith(":mysfits-adoption-requests")
    assert (
        sns.get_topic_attributes(TopicArn=topology.events_topic_arn)["Attributes"]["KmsMasterKeyId"] == "alias/aws/sns"
    )

    # the strangler switch's parameters, at the run's initial positions
    for name in (topology.mode_parameters["like"], topology.mode_parameters["adopt"]):
        assert ssm.get_parameter(Name=name)["Parameter"]["Value"] == "queue"


def test_the_data_template_lands_on_the_emulator_beside_dynamodb(first_run: Run, dynamodb: str) -> None:
    topology = first_run.aws.topology
    tables = set(_client("dynamodb", dynamodb).list_tables()["TableNames"])
    assert {topology.mysfits_table, topology.processed_events_table} <= tables
    ttl = _client("dynamodb", dynamodb).describe_time_to_live(TableName=topology.processed_events_table)
    assert ttl["TimeToLiveDescription"]["TimeToLiveStatus"] in ("ENABLED", "ENABLING")
    assert len(first_run.api.get("/mysfits").json()["mysfits"]) == 12


# ---------------------------------------------------------------------------- the pipeline
def test_likes_count_exactly_once(first_run: Run) -> None:
    api, aws = first_run.api, first_run.aws
    mysfits = [aws.add_mysfit(f"ls-like-{uuid.uuid4()}") for _ in range(3)]

    # WHEN 150 likes arrive at once, and one event is delivered twice
    with ThreadPoolExecutor(max_workers=10) as pool:
        statuses = list(pool.map(lambda index: api.like(mysfits[index % 3]).status_code, range(150)))
    duplicate = LikeRequested(mysfit_id=mysfits[0])
    for _ in range(2):
        aws.publish(duplicate.to_json(), duplicate.event_type)

    # THEN each counts once
    assert statuses == [202] * 150
    eventually(lambda: [api.likes(m) for m in mysfits], lambda likes: likes == [51, 50, 50], timeout=45)
    assert aws.outcomes(mysfits[0]) == {"applied": 51}


def test_of_twelve_concurrent_adoptions_one_wins(first_run: Run) -> None:
    api, aws = first_run.api, first_run.aws
    mysfit_id = aws.add_mysfit(f"ls-adopt-{uuid.uuid4()}")

    with ThreadPoolExecutor(max_workers=12) as pool:
        statuses = list(pool.map(lambda _: api.adopt(mysfit_id).status_code, range(12)))

    assert set(statuses) <= {202, 409}
    outcomes = eventually(
        lambda: aws.outcomes(mysfit_id), lambda seen: sum(seen.values()) == statuses.count(202), timeout=45
    )
    assert outcomes.get("applied") == 1 and api.mysfit(mysfit_id)["adopted"] is True


def test_a_poison_like_goes_to_the_dlq_and_ops_redrive_counts_it_once(first_run: Run) -> None:
    api, aws = first_run.api, first_run.aws
    topology = aws.topology

    # GIVEN a like of a mysfit that does not exist yet: the worker gives it up, the redrive policy moves it
    mysfit_id = f"ls-late-{uuid.uuid4()}"
    event = LikeRequested(mysfit_id=mysfit_id)
    aws.publish(event.to_json(), event.event_type)
    eventually(lambda: aws.depth(topology.queues["like"].dlq_url), lambda depth: depth == 1, timeout=60)

    # WHEN the operator peeks, THEN it is there with the worker's reason, and stays there
    (peeked,) = ops_json(first_run, "peek", "--dlq", "like")["messages"]
    assert peeked["eventId"] == event.event_id and "unknown mysfit" in (peeked["reason"] or "")
    assert aws.depth(topology.queues["like"].dlq_url) == 1

    # WHEN the cause is fixed and the DLQ redriven, THEN the like counts once
    aws.add_mysfit(mysfit_id)
    moved = ops_json(first_run, "redrive", "--queue", "like")
    assert moved["moved"] == 1
    eventually(lambda: api.likes(mysfit_id), lambda likes: likes == 1, timeout=45)
    assert aws.depth(topology.queues["like"].dlq_url) == 0 and aws.outcomes(mysfit_id) == {"applied": 1}


# ---------------------------------------------------------------------------- ops
def test_ops_status_shows_what_it_can_when_cloudwatch_is_not_there(first_run: Run, tmp_path: Path) -> None:
    # GIVEN LocalStack without CloudWatch (as docker-compose.localstack.yml runs it), and no worker
    # status file (as on AWS): the oldest message's age and the workers' counts come from CloudWatch

    # WHEN the operator asks
    status = ops_json(first_run, "status", "--status-dir", str(tmp_path))

    # THEN the rest is there; what CloudWatch would have said is unknown, and says why
    like = next(queue for queue in status["queues"] if queue["name"] == "like")
    assert like["queue"]["name"] == "mysfits-like-requests" and like["queue"]["oldestAgeSeconds"] is None
    assert status["switch"] == {"like": "queue", "adopt": "queue"} and status["totals"]["mysfits"] >= 12
    assert len(status["subscriptions"]) == 2
    assert set(status["unknown"]) == {"oldest", "workers"}
    assert all("cloudwatch" in why.lower() for why in status["unknown"].values()), status["unknown"]

    # AND the table says so too
    text = ops(first_run, "status", "--status-dir", str(tmp_path))
    assert text.returncode == 0, text.stderr
    assert "mysfits-like-requests-dlq" in text.stdout and "unknown" in text.stdout


def test_every_other_ops_command_works_on_localstack(first_run: Run) -> None:
    api, aws = first_run.api, first_run.aws
    status = ops_json(first_run, "status")  # the workers' status files: WORKER_STATUS_DIR, as make run's
    assert {worker["service"] for worker in status["workers"]} == {"like_worker", "adopt_worker"}
    assert ops_json(first_run, "peek", "--dlq", "adoption")["messages"] == []
    assert ops_json(first_run, "seed") == {"added": 0}

    # the switch flips the running monolith (its cache: 3 s)
    assert ops_json(first_run, "switch", "like", "inline")["modes"] == {"like": "inline", "adopt": "queue"}
    mysfit_id = aws.add_mysfit(f"ls-switch-{uuid.uuid4()}")
    time.sleep(SWITCH_CACHE_SECONDS + 0.5)
    assert api.like(mysfit_id).status_code == 200 and api.likes(mysfit_id) == 1
    assert ops_json(first_run, "switch", "like", "queue")["modes"] == {"like": "queue", "adopt": "queue"}

    reset = ops_json(first_run, "reset")
    assert reset["added"] == 12 and reset["mysfitsRemoved"] >= 12
    assert len(api.get("/mysfits").json()["mysfits"]) == 12


# ---------------------------------------------------------------------------- make run, again
def test_a_second_run_on_the_same_localstack_counts_its_first_like_promptly(
    first_run: Run, localstack: str, dynamodb: str, output_dir: Path
) -> None:
    # GIVEN the first run stopped with Ctrl-C while its workers long-polled LocalStack (20 s)
    time.sleep(SWITCH_CACHE_SECONDS + 0.5)  # the switch flipped back has reached every process
    assert _stop(first_run) == 0

    # WHEN the user runs it again and likes a mysfit at once
    second = _start("second-run", output_dir, localstack, dynamodb)
    try:
        mysfit_id = second.api.get("/mysfits").json()["mysfits"][0]["mysfitId"]
        before = second.api.likes(mysfit_id)
        assert second.api.like(mysfit_id).status_code == 202

        # THEN it counts well inside the queue's visibility timeout (30 s): no poll of the stopped
        # workers was left open on LocalStack to take it and hold it invisible
        eventually(lambda: second.api.likes(mysfit_id), lambda likes: likes == before + 1, timeout=10)
    finally:
        _stop(second, at_once=True)  # how it stops is the first run's part
