from __future__ import annotations

import boto3
import pytest
from botocore.stub import Stubber

from deploy.stacks import IncompleteStack
from ops.redrive import RedriveQueues, queues_from_stack, redrive

QUEUES = RedriveQueues(
    source_url="https://sqs.us-east-1.amazonaws.com/123456789012/like",
    source_arn="arn:aws:sqs:us-east-1:123456789012:like",
    dlq_url="https://sqs.us-east-1.amazonaws.com/123456789012/like-dlq",
    dlq_arn="arn:aws:sqs:us-east-1:123456789012:like-dlq",
)


def test_where_the_endpoint_has_message_move_tasks_redrive_uses_one() -> None:
    sqs = boto3.client("sqs", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    with Stubber(sqs) as stub:
        stub.add_response(
            "start_message_move_task",
            {"TaskHandle": "task-1"},
            {"SourceArn": QUEUES.dlq_arn, "DestinationArn": QUEUES.source_arn},
        )
        stub.add_response(
            "list_message_move_tasks",
            {"Results": [{"TaskHandle": "task-1", "Status": "RUNNING"}]},
            {"SourceArn": QUEUES.dlq_arn},
        )
        stub.add_response(
            "list_message_move_tasks",
            {"Results": [{"TaskHandle": "task-1", "Status": "COMPLETED", "ApproximateNumberOfMessagesMoved": 3}]},
            {"SourceArn": QUEUES.dlq_arn},
        )

        assert redrive(sqs, QUEUES, poll_seconds=0) == 3
        stub.assert_no_pending_responses()


def test_queues_of_a_messaging_stack_still_being_created_are_an_incomplete_stack() -> None:
    cfn = boto3.client("cloudformation", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    creating = {"StackName": "p-messaging", "CreationTime": "2026-12-01T00:00:00Z", "StackStatus": "CREATE_IN_PROGRESS"}
    expected = "CREATE_IN_PROGRESS, without the outputs LikeQueueUrl"
    with Stubber(cfn) as stub, pytest.raises(IncompleteStack, match=expected):
        stub.add_response("describe_stacks", {"Stacks": [creating]}, {"StackName": "p-messaging"})
        queues_from_stack(cfn, "p", "like")
