from __future__ import annotations

import boto3
from botocore.stub import Stubber

from deploy.redrive import RedriveQueues, redrive

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
