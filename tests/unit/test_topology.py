"""The pipeline's topology, read from its stacks' outputs."""

from __future__ import annotations

import boto3
import pytest
from botocore.stub import Stubber

from deploy.stacks import IncompleteStack
from deploy.topology import queue_outputs, read_topology, topology_from_outputs


def _stack(name: str, status: str, outputs: dict[str, str]) -> dict[str, object]:
    return {
        "StackName": name,
        "CreationTime": "2026-12-01T00:00:00Z",
        "StackStatus": status,
        "Outputs": [{"OutputKey": key, "OutputValue": value} for key, value in outputs.items()],
    }


def test_a_messaging_stack_still_being_created_is_an_incomplete_stack() -> None:
    cfn = boto3.client("cloudformation", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    data = _stack("p-data", "CREATE_COMPLETE", {"MysfitsTableName": "t", "ProcessedEventsTableName": "p"})
    messaging = _stack("p-messaging", "CREATE_IN_PROGRESS", {})
    expected = "CREATE_IN_PROGRESS, without the outputs EventsTopicArn"
    with Stubber(cfn) as stub, pytest.raises(IncompleteStack, match=expected):
        stub.add_response("describe_stacks", {"Stacks": [data]}, {"StackName": "p-data"})
        stub.add_response("describe_stacks", {"Stacks": [messaging]}, {"StackName": "p-messaging"})
        read_topology(cfn, cfn, "p")


def test_each_queue_is_named_by_its_own_outputs_and_consumed_by_its_worker() -> None:
    outputs = {"MysfitsTableName": "t", "ProcessedEventsTableName": "p", "EventsTopicArn": "arn:topic"}
    for queue in ("like", "adoption"):
        outputs |= {key: f"{queue}:{key}" for key in queue_outputs(queue)}

    topology = topology_from_outputs(outputs)

    assert topology.queues["adoption"].dlq_arn == "adoption:AdoptionDeadLetterQueueArn"
    assert topology.queues["like"].url == "like:LikeQueueUrl"
    assert {queue.worker for queue in topology.queues.values()} == {"like_worker", "adopt_worker"}
    assert topology.mode_parameters == {"like": "", "adopt": ""}  # a messaging stack older than the switch
