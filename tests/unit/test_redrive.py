from __future__ import annotations

import boto3
from botocore.stub import Stubber

from ops.redrive import redrive
from tests.factories import like_queue

LIKE = like_queue()


def test_where_the_endpoint_has_message_move_tasks_redrive_uses_one() -> None:
    sqs = boto3.client("sqs", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    with Stubber(sqs) as stub:
        stub.add_response(
            "start_message_move_task",
            {"TaskHandle": "task-1"},
            {"SourceArn": LIKE.dlq_arn, "DestinationArn": LIKE.arn},
        )
        stub.add_response(
            "list_message_move_tasks",
            {"Results": [{"TaskHandle": "task-1", "Status": "RUNNING"}]},
            {"SourceArn": LIKE.dlq_arn},
        )
        stub.add_response(
            "list_message_move_tasks",
            {"Results": [{"TaskHandle": "task-1", "Status": "COMPLETED", "ApproximateNumberOfMessagesMoved": 3}]},
            {"SourceArn": LIKE.dlq_arn},
        )

        assert redrive(sqs, LIKE, poll_seconds=0) == 3
        stub.assert_no_pending_responses()
