"""``ops peek``: a dead-letter queue's messages, read without consuming them.

SQS has no read-only look at a queue: a message is read by receiving it. Each message is received
with a visibility timeout (so that the next receive of the same peek returns other messages) and,
once all are read, made visible again at once (``ChangeMessageVisibility`` 0), also when the peek
fails half-way. Nothing is deleted; the one trace is a receive count one higher, harmless on a DLQ,
which has no redrive policy of its own. (ops never peeks a work queue: there, receives count towards
``maxReceiveCount``.)

Why each message failed is not in the message: the worker recorded it when it gave the message up.
Locally that is the worker's status file (its last failures, by message id); on AWS, the worker's
log group (named by the services stack's outputs), searched for the message ids.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from deploy.topology import QueuePair
from mysfits_common.metrics import read_status_files
from ops.output import table
from ops.target import Target

__all__ = ["peek", "render"]

_HOLD_SECONDS = 30
_POISON_LOG_LINE = "Poison message left to the redrive policy"


def peek(target: Target, queue: str, limit: int, status_dir: Path | None) -> list[dict[str, Any]]:
    """Up to ``limit`` messages of ``queue``'s DLQ, each made visible again before this returns."""
    pair = target.pipeline.queues[queue]
    sqs = target.client("sqs")
    received: list[dict[str, Any]] = []
    try:
        while len(received) < limit:
            messages = sqs.receive_message(
                QueueUrl=pair.dlq_url,
                MaxNumberOfMessages=min(10, limit - len(received)),
                VisibilityTimeout=_HOLD_SECONDS,
                WaitTimeSeconds=0,
                MessageSystemAttributeNames=["ApproximateReceiveCount", "SentTimestamp"],
            ).get("Messages", [])
            if not messages:
                break
            received.extend(messages)
    finally:
        _release(sqs, pair.dlq_url, received)
    reasons = _reasons(target, pair, [m["MessageId"] for m in received], status_dir)
    return [_describe(message, reasons.get(message["MessageId"])) for message in received]


def _release(sqs: Any, url: str, messages: list[dict[str, Any]]) -> None:
    """Make the messages visible again now: a peek leaves the queue as it found it."""
    for start in range(0, len(messages), 10):
        entries = [
            {"Id": str(index), "ReceiptHandle": message["ReceiptHandle"], "VisibilityTimeout": 0}
            for index, message in enumerate(messages[start : start + 10])
        ]
        sqs.change_message_visibility_batch(QueueUrl=url, Entries=entries)


def _describe(message: dict[str, Any], reason: str | None) -> dict[str, Any]:
    attributes = message.get("Attributes", {})
    body = message.get("Body", "")
    try:
        envelope = json.loads(body)
    except ValueError:
        envelope = None
    if not isinstance(envelope, dict):
        envelope = {}
        reason = reason or "the body is not a JSON object"
    return {
        "messageId": message["MessageId"],
        "eventId": envelope.get("eventId"),
        "eventType": envelope.get("eventType"),
        "mysfitId": envelope.get("mysfitId"),
        "receiveCount": int(attributes.get("ApproximateReceiveCount", 0)),
        "sentAt": int(attributes.get("SentTimestamp", 0)) / 1000 or None,
        "reason": reason,
    }


def _reasons(target: Target, pair: QueuePair, message_ids: list[str], status_dir: Path | None) -> dict[str, str]:
    """Why the worker gave each message up, where it recorded it."""
    if not message_ids:
        return {}
    status = read_status_files(status_dir).get(pair.worker, {}) if status_dir is not None else {}
    failures = status.get("failures")
    if isinstance(failures, dict) and failures:
        return {key: str(value) for key, value in failures.items() if key in message_ids}
    log_group = target.log_groups.get(pair.worker)
    return _reasons_from_logs(target, log_group, set(message_ids)) if log_group else {}


def _reasons_from_logs(target: Target, log_group: str, message_ids: set[str]) -> dict[str, str]:
    """The worker's "Poison message" log lines of the last 14 days (a DLQ's retention) for these ids."""
    reasons: dict[str, str] = {}
    pattern = f'{{ $.message = "{_POISON_LOG_LINE}" }}'
    start = int((time.time() - 14 * 24 * 3600) * 1000)
    try:
        pages = (
            target.client("logs")
            .get_paginator("filter_log_events")
            .paginate(
                logGroupName=log_group, filterPattern=pattern, startTime=start, PaginationConfig={"MaxItems": 5000}
            )
        )
        for page in pages:
            for event in page.get("events", []):
                try:
                    line = json.loads(event.get("message", ""))
                except ValueError:
                    continue
                if isinstance(line, dict) and line.get("messageId") in message_ids:
                    reasons[str(line["messageId"])] = str(line.get("error", ""))
    except (BotoCoreError, ClientError):
        return reasons  # the reasons are a help; the messages are what was asked for
    return reasons


def render(queue: str, messages: list[dict[str, Any]]) -> str:
    if not messages:
        return f"The {queue} DLQ is empty."
    rows = [[m["eventId"], m["mysfitId"], m["receiveCount"], m["reason"] or "(not recorded)"] for m in messages]
    header = f"{len(messages)} message(s) in the {queue} DLQ, all still there:"
    return header + "\n" + table(["eventId", "mysfitId", "receives", "why it failed"], rows)
