"""Record factories: SQS messages and event envelopes, instead of hand-written dicts in every test."""

from __future__ import annotations

import uuid
from typing import Any

from mysfits_common.events import Event


def sqs_message(body: str | Event, receive_count: int = 1) -> dict[str, Any]:
    text = body.to_json() if isinstance(body, Event) else body
    return {
        "MessageId": str(uuid.uuid4()),
        "ReceiptHandle": f"receipt-{uuid.uuid4()}",
        "Body": text,
        "Attributes": {"ApproximateReceiveCount": str(receive_count)},
    }
