"""boto3's standard endpoint configuration is the only one: with ``AWS_ENDPOINT_URL`` for SNS and
SQS and ``AWS_ENDPOINT_URL_DYNAMODB`` for DynamoDB (LocalStack plus moto, say), each template lands
where its services' variable points, and the whole system works across the two."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest

from deploy.topology import data_stack_name, messaging_stack_name
from embedded.system import EmbeddedSystem
from tests.conftest import running_emulator
from tests.e2e.client import Api, eventually
from tests.systems import running_system

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
PROJECT = "split"


@pytest.fixture(scope="module")
def dynamodb_endpoint(output_dir: Path) -> Iterator[str]:
    """A second emulator, for DynamoDB only."""
    with running_emulator(output_dir / "split" / "dynamodb.log") as url:
        yield url


@pytest.fixture(scope="module")
def split_system(
    system: EmbeddedSystem, dynamodb_endpoint: str, output_dir: Path
) -> Iterator[EmbeddedSystem]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("AWS_ENDPOINT_URL_DYNAMODB", dynamodb_endpoint)
        # AWS_ENDPOINT_URL (the session's emulator): SNS, SQS and the rest
        with running_system(output_dir, "split", endpoint_url=system.endpoint_url, project=PROJECT) as running:
            yield running


def _client(service: str, url: str) -> object:
    return boto3.session.Session(region_name="us-east-1").client(service, endpoint_url=url)


def test_each_template_lands_where_its_services_point(split_system: EmbeddedSystem, dynamodb_endpoint: str) -> None:
    topology = split_system.topology
    assert topology is not None
    default, dynamodb = split_system.endpoint_url, dynamodb_endpoint

    def stacks(url: str) -> set[str]:
        summaries = _client("cloudformation", url).list_stacks()["StackSummaries"]  # type: ignore[attr-defined]
        return {s["StackName"] for s in summaries if s["StackStatus"] != "DELETE_COMPLETE"}

    def tables(url: str) -> set[str]:
        return set(_client("dynamodb", url).list_tables()["TableNames"])  # type: ignore[attr-defined]

    assert data_stack_name(PROJECT) in stacks(dynamodb) and data_stack_name(PROJECT) not in stacks(default)
    assert messaging_stack_name(PROJECT) in stacks(default) and messaging_stack_name(PROJECT) not in stacks(dynamodb)
    assert {topology.mysfits_table, topology.processed_events_table} <= tables(dynamodb)
    assert not {topology.mysfits_table, topology.processed_events_table} & tables(default)
    queues = _client("sqs", dynamodb).list_queues(QueueNamePrefix=PROJECT)  # type: ignore[attr-defined]
    assert "QueueUrls" not in queues
    _client("sqs", default).get_queue_attributes(QueueUrl=topology.queues["like"].url)  # type: ignore[attr-defined]


def test_a_like_is_counted_across_the_two_endpoints(split_system: EmbeddedSystem) -> None:
    api = Api(split_system.api_url)
    mysfit_id = api.get("/mysfits").json()["mysfits"][0]["mysfitId"]  # seeded where DynamoDB points
    before = api.likes(mysfit_id)

    assert api.like(mysfit_id).status_code == 202
    eventually(lambda: api.likes(mysfit_id), lambda likes: likes == before + 1, timeout=30)
