"""``ops redrive``: move a dead-letter queue's messages back to its source queue, once their cause is fixed.

Uses SQS's StartMessageMoveTask and waits for the task to complete, against every target: AWS,
LocalStack and the embedded emulator (which adds the API moto lacks). A message moved twice (a
retried task) is absorbed by the idempotent fulfil endpoints; none is lost.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from deploy.local import messaging_stack_name
from deploy.stacks import stack_outputs
from ops.target import queue_outputs

__all__ = ["RedriveFailed", "RedriveQueues", "queues_from_stack", "redrive"]


class RedriveFailed(RuntimeError):
    """The message move task failed or was cancelled; ``str(error)`` says which, and why."""


@dataclass(frozen=True)
class RedriveQueues:
    source_url: str
    source_arn: str
    dlq_url: str
    dlq_arn: str


def queues_from_stack(cloudformation: Any, project: str, queue: str) -> RedriveQueues:
    """The source queue and DLQ of `queue` ("like" or "adoption"), from the messaging stack's outputs."""
    needed = queue_outputs(queue)
    outputs = stack_outputs(cloudformation, messaging_stack_name(project), needed)
    return RedriveQueues(*(outputs[key] for key in needed))


def redrive(sqs: Any, queues: RedriveQueues, *, poll_seconds: float = 2.0, timeout: float = 900) -> int:
    """Move every message of the DLQ back to the source queue; return how many were moved."""
    task = sqs.start_message_move_task(SourceArn=queues.dlq_arn, DestinationArn=queues.source_arn)
    return _wait_for_move_task(sqs, queues, task["TaskHandle"], poll_seconds, timeout)


def _wait_for_move_task(sqs: Any, queues: RedriveQueues, handle: str, poll_seconds: float, timeout: float) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for task in sqs.list_message_move_tasks(SourceArn=queues.dlq_arn).get("Results", []):
            if task.get("TaskHandle") not in (None, handle):
                continue
            status = task.get("Status")
            if status == "COMPLETED":
                return int(task.get("ApproximateNumberOfMessagesMoved", 0))
            if status in ("FAILED", "CANCELLED"):
                raise RedriveFailed(f"message move task {status}: {task.get('FailureReason', '')}")
        time.sleep(poll_seconds)
    raise TimeoutError(f"the message move task did not complete within {timeout:.0f} s")
