"""SQS message move tasks (DLQ redrive), which moto does not have.

``StartMessageMoveTask``, ``ListMessageMoveTasks`` and ``CancelMessageMoveTask``, as SQS documents
them for moving messages from a dead-letter queue back to a source queue: every message then in
the DLQ is sent to the destination (body and message attributes kept) and deleted from the DLQ.
Without a destination, each message goes back to the queue whose redrive policy names the DLQ.
SQS moves at a limited rate, asynchronously; here a task moves everything at once and is
``COMPLETED`` when it is first listed, so ``python -m ops redrive`` runs the same code here as
against AWS and LocalStack.
"""

from __future__ import annotations

import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from moto.core.responses import ActionResult
from moto.sqs.exceptions import InvalidParameterValue, QueueDoesNotExist
from moto.sqs.models import Queue, SQSBackend
from moto.sqs.responses import SQSResponse

__all__ = ["install"]


@dataclass
class _Task:
    handle: str
    source_arn: str
    destination_arn: str | None
    started: int  # epoch milliseconds
    moved: int = 0
    to_move: int = 0
    status: str = "COMPLETED"

    def describe(self) -> dict[str, Any]:
        result: dict[str, Any] = {
            "TaskHandle": self.handle,
            "Status": self.status,
            "SourceArn": self.source_arn,
            "ApproximateNumberOfMessagesMoved": self.moved,
            "ApproximateNumberOfMessagesToMove": self.to_move,
            "StartedTimestamp": self.started,
        }
        if self.destination_arn is not None:
            result["DestinationArn"] = self.destination_arn
        return result


@dataclass
class _Tasks:
    by_source: dict[str, list[_Task]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)


_tasks = _Tasks()


def _queue_by_arn(backend: SQSBackend, arn: str) -> Queue:
    for queue in backend.queues.values():
        if queue.queue_arn == arn:
            return queue
    raise QueueDoesNotExist()


def _source_of(backend: SQSBackend, dlq: Queue) -> Queue:
    for queue in backend.queues.values():
        if queue.redrive_policy and queue.redrive_policy.get("deadLetterTargetArn") == dlq.queue_arn:
            return queue
    raise QueueDoesNotExist()


def _move(backend: SQSBackend, source: Queue, destination: Queue) -> int:
    moved = 0
    for message in list(source._messages):
        backend.send_message(destination.name, message.body, message_attributes=message.message_attributes)
        source._messages.remove(message)
        source.pending_messages.discard(message)
        moved += 1
    return moved


def start_message_move_task(self: SQSResponse) -> ActionResult:
    source_arn = str(self._get_param("SourceArn"))
    destination_arn = self._get_param("DestinationArn")
    backend = self.sqs_backend
    source = _queue_by_arn(backend, source_arn)
    destination = _queue_by_arn(backend, destination_arn) if destination_arn else _source_of(backend, source)
    task = _Task(str(uuid.uuid4()), source_arn, destination_arn, int(time.time() * 1000))
    with _tasks.lock:
        task.moved = _move(backend, source, destination)
        _tasks.by_source.setdefault(source_arn, []).insert(0, task)
    return ActionResult({"TaskHandle": task.handle})


def list_message_move_tasks(self: SQSResponse) -> ActionResult:
    source_arn = str(self._get_param("SourceArn"))
    limit = int(self._get_param("MaxResults") or 1)
    _queue_by_arn(self.sqs_backend, source_arn)
    with _tasks.lock:
        tasks = _tasks.by_source.get(source_arn, [])[:limit]
        return ActionResult({"Results": [task.describe() for task in tasks]})


def cancel_message_move_task(self: SQSResponse) -> ActionResult:
    """Every task here completes when it starts: there is never one to cancel, as SQS then says."""
    handle = str(self._get_param("TaskHandle"))
    raise InvalidParameterValue(f"Task {handle} is not running")


def install() -> None:
    SQSResponse.start_message_move_task = start_message_move_task  # type: ignore[attr-defined]
    SQSResponse.list_message_move_tasks = list_message_move_tasks  # type: ignore[attr-defined]
    SQSResponse.cancel_message_move_task = cancel_message_move_task  # type: ignore[attr-defined]
