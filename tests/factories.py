"""Record factories: SQS messages and event envelopes, instead of hand-written dicts in every test;
a queue of a pipeline that no stack was deployed for."""

from __future__ import annotations

import uuid
from typing import Any

from deploy.topology import QueuePair
from mysfits_common.events import Event


def sqs_message(body: str | Event, receive_count: int = 1) -> dict[str, Any]:
    text = body.to_json() if isinstance(body, Event) else body
    return {
        "MessageId": str(uuid.uuid4()),
        "ReceiptHandle": f"receipt-{uuid.uuid4()}",
        "Body": text,
        "Attributes": {"ApproximateReceiveCount": str(receive_count)},
    }


def like_queue() -> QueuePair:
    """The like queue and its DLQ, as AWS names them."""
    return QueuePair(
        name="like",
        worker="like_worker",
        url="https://sqs.us-east-1.amazonaws.com/123456789012/like",
        arn="arn:aws:sqs:us-east-1:123456789012:like",
        dlq_url="https://sqs.us-east-1.amazonaws.com/123456789012/like-dlq",
        dlq_arn="arn:aws:sqs:us-east-1:123456789012:like-dlq",
    )
