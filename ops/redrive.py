"""``ops redrive``: move a dead-letter queue's messages back to its source queue, once their cause is fixed.

Uses SQS's StartMessageMoveTask and waits for the task to complete, against every target: AWS,
LocalStack and the embedded emulator (which adds the API moto lacks). A message moved twice (a
retried task) is absorbed by the idempotent fulfil endpoints; none is lost.
"""

from __future__ import annotations

import time
from typing import Any

from deploy.topology import QueuePair

__all__ = ["RedriveFailed", "redrive"]


class RedriveFailed(RuntimeError):
    """The message move task failed or was cancelled; ``str(error)`` says which, and why."""


def redrive(sqs: Any, queue: QueuePair, *, poll_seconds: float = 2.0, timeout: float = 900) -> int:
    """Move every message of the queue's DLQ back to the queue; return how many were moved."""
    task = sqs.start_message_move_task(SourceArn=queue.dlq_arn, DestinationArn=queue.arn)
    return _wait_for_move_task(sqs, queue, task["TaskHandle"], poll_seconds, timeout)


def _wait_for_move_task(sqs: Any, queue: QueuePair, handle: str, poll_seconds: float, timeout: float) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for task in sqs.list_message_move_tasks(SourceArn=queue.dlq_arn).get("Results", []):
            if task.get("TaskHandle") not in (None, handle):
                continue
            status = task.get("Status")
            if status == "COMPLETED":
                return int(task.get("ApproximateNumberOfMessagesMoved", 0))
            if status in ("FAILED", "CANCELLED"):
                raise RedriveFailed(f"message move task {status}: {task.get('FailureReason', '')}")
        time.sleep(poll_seconds)
    raise TimeoutError(f"the message move task did not complete within {timeout:.0f} s")
