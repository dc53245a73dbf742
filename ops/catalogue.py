"""``ops seed`` and ``ops reset``: the catalogue.

``seed`` adds the 12 mysfits of monolith/catalogue.json that are missing (safe anywhere, any time).
``reset`` starts over: it deletes the messages visible in both queues and both DLQs (a worker's
in-flight ones finish as they will), deletes every item of the catalogue and
processed-events tables, and seeds again. It destroys likes and adoptions, so it refuses any target
that is not a local emulator (every endpoint on 127.0.0.1 or localhost) unless given ``--yes-really``.
"""

from __future__ import annotations

from typing import Any

from monolith.seed import seed_table
from mysfits_common.cli import CommandError, Exit
from ops.target import Target

__all__ = ["reset", "seed_catalogue"]


def seed_catalogue(target: Target) -> dict[str, int]:
    """Add the catalogue's missing mysfits; say how many were added."""
    pipeline = target.pipeline
    return {"added": seed_table(target.client("dynamodb"), pipeline.mysfits_table, pipeline.processed_events_table)}


def reset(target: Target, *, yes_really: bool) -> dict[str, int]:
    """Empty the queues and tables, then seed; say how much was removed and added."""
    if not target.is_local() and not yes_really:
        raise CommandError(
            f"refusing to reset {target.describe()}: not a local emulator; "
            "add --yes-really to destroy its likes and adoptions",
            Exit.REFUSED,
        )
    pipeline = target.pipeline
    sqs = target.client("sqs")
    drained = sum(_drain(sqs, url) for pair in pipeline.queues.values() for url in (pair.url, pair.dlq_url))
    dynamodb = target.client("dynamodb")
    removed = {
        "messagesRemoved": drained,
        "mysfitsRemoved": _delete_all(dynamodb, pipeline.mysfits_table),
        "markersRemoved": _delete_all(dynamodb, pipeline.processed_events_table),
    }
    return {**removed, **seed_catalogue(target)}


def _drain(sqs: Any, url: str) -> int:
    """Receive and delete every visible message (PurgeQueue may run once a minute only)."""
    deleted = 0
    while messages := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0).get("Messages", []):
        entries = [{"Id": str(index), "ReceiptHandle": m["ReceiptHandle"]} for index, m in enumerate(messages)]
        sqs.delete_message_batch(QueueUrl=url, Entries=entries)
        deleted += len(messages)
    return deleted


def _delete_all(dynamodb: Any, table: str) -> int:
    keys = [key["AttributeName"] for key in dynamodb.describe_table(TableName=table)["Table"]["KeySchema"]]
    deleted = 0
    for page in dynamodb.get_paginator("scan").paginate(
        TableName=table,
        ProjectionExpression=", ".join(f"#k{index}" for index in range(len(keys))),
        ExpressionAttributeNames={f"#k{i}": k for i, k in enumerate(keys)},
    ):
        items = page.get("Items", [])
        for start in range(0, len(items), 25):
            requests = [{"DeleteRequest": {"Key": item}} for item in items[start : start + 25]]
            pending: dict[str, Any] = {table: requests}
            while pending:
                pending = dynamodb.batch_write_item(RequestItems=pending).get("UnprocessedItems") or {}
        deleted += len(items)
    return deleted
