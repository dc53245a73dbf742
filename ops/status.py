"""``ops status``: each queue and its DLQ, the subscriptions, the workers, the switch and the totals.

Where each number comes from, so that none is more than it says:

- visible, in flight, delayed: the queue's attributes (``ApproximateNumberOf...``), as SQS reports
  them (approximate, and eventually consistent on AWS);
- oldest: CloudWatch's ``AWS/SQS ApproximateAgeOfOldestMessage``, its latest datapoint of the last
  15 minutes (SQS publishes one a minute, so it can be a minute or more behind); "-" when CloudWatch
  has none. It is not a queue attribute, and receiving messages to read their age would raise their
  receive counts and move them towards the DLQ, so ops never does that;
- workers: the status file each worker writes (``WORKER_STATUS_FILE``; ``make run`` puts them in
  ``.run/status/``): totals since the worker started and its last poll. Where there is none (AWS),
  the sums of the workers' EMF metrics over the last hour, from CloudWatch; the last poll is then
  unknown;
- totals: the catalogue table (likes summed, mysfits adopted).

CloudWatch is a help, not the source of the queues: where it does not answer (LocalStack without it,
as docker-compose.localstack.yml runs it; a role not allowed to read metrics), the columns it feeds
are unknown, and ``unknown`` says which and why (in the table, a line under it); the rest is shown.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

from botocore.exceptions import BotoCoreError, ClientError

from monolith.domain import catalogue_totals
from monolith.dynamodb import DynamoMysfitRepository
from mysfits_common.metrics import COUNTS, queue_counts, read_status_files, worker_summary
from ops.output import ago, table
from ops.switch import current_modes
from ops.target import Target

__all__ = ["collect", "render"]

T = TypeVar("T")



def collect(target: Target, status_dir: Path | None) -> dict[str, Any]:
    """Everything ``ops status`` shows, as plain data (what ``--json`` prints)."""
    pipeline = target.pipeline
    unknown: dict[str, str] = {}
    urls = [url for pair in pipeline.queues.values() for url in (pair.url, pair.dlq_url)]
    ages = _from_cloudwatch(unknown, "oldest", lambda: _oldest_ages(target, urls), dict.fromkeys(urls))
    queues = [
        {
            "name": pair.name,
            "queue": {"name": _name(pair.url), **_counts(target, pair.url), "oldestAgeSeconds": ages.get(pair.url)},
            "dlq": {
                "name": _name(pair.dlq_url),
                **_counts(target, pair.dlq_url),
                "oldestAgeSeconds": ages.get(pair.dlq_url),
            },
        }
        for pair in pipeline.queues.values()
    ]
    return {
        "project": target.project,
        "target": target.describe(),
        "queues": queues,
        "subscriptions": _subscriptions(target, pipeline.events_topic_arn),
        "workers": _workers(target, status_dir, unknown),
        "switch": current_modes(target),
        "totals": _totals(target),
        "unknown": unknown,
    }


def _from_cloudwatch(unknown: dict[str, str], column: str, read: Callable[[], T], otherwise: T) -> T:
    """What ``read`` gets from CloudWatch; where CloudWatch does not answer, ``otherwise``, and why in
    ``unknown[column]``."""
    try:
        return read()
    except (BotoCoreError, ClientError) as error:
        unknown[column] = f"CloudWatch did not answer: {error}"
        return otherwise


def _name(url: str) -> str:
    return url.rstrip("/").rsplit("/", 1)[-1]


def _counts(target: Target, url: str) -> dict[str, int]:
    return queue_counts(target.client("sqs"), url)


def _oldest_ages(target: Target, urls: list[str]) -> dict[str, float | None]:
    """Each queue's ApproximateAgeOfOldestMessage, as CloudWatch last reported it (None: no datapoint)."""
    now = datetime.now(UTC)
    queries = [
        {
            "Id": f"q{index}",
            "MetricStat": {
                "Metric": {
                    "Namespace": "AWS/SQS",
                    "MetricName": "ApproximateAgeOfOldestMessage",
                    "Dimensions": [{"Name": "QueueName", "Value": _name(url)}],
                },
                "Period": 60,
                "Stat": "Maximum",
            },
        }
        for index, url in enumerate(urls)
    ]
    response = target.client("cloudwatch").get_metric_data(
        MetricDataQueries=queries, StartTime=now - timedelta(minutes=15), EndTime=now, ScanBy="TimestampDescending"
    )
    ages: dict[str, float | None] = dict.fromkeys(urls)
    for result in response.get("MetricDataResults", []):
        points = sorted(zip(result.get("Timestamps", []), result.get("Values", []), strict=False), reverse=True)
        if points:
            ages[urls[int(result["Id"][1:])]] = float(points[0][1])
    return ages


def _subscriptions(target: Target, topic_arn: str) -> list[dict[str, Any]]:
    sns = target.client("sns")
    found = []
    for page in sns.get_paginator("list_subscriptions_by_topic").paginate(TopicArn=topic_arn):
        for subscription in page.get("Subscriptions", []):
            attributes = sns.get_subscription_attributes(SubscriptionArn=subscription["SubscriptionArn"])["Attributes"]
            found.append(
                {
                    "protocol": subscription.get("Protocol"),
                    "endpoint": _name(str(subscription.get("Endpoint", "")).replace(":", "/")),
                    "filterPolicy": attributes.get("FilterPolicy"),
                    "rawMessageDelivery": attributes.get("RawMessageDelivery") == "true",
                }
            )
    return found


def _workers(target: Target, status_dir: Path | None, unknown: dict[str, str]) -> list[dict[str, Any]]:
    workers = {pair.worker: pair.name for pair in target.pipeline.queues.values()}
    files = read_status_files(status_dir) if status_dir is not None else {}
    if files:
        now = time.time()
        return [
            {**worker_summary(status, now), "source": "status file"}
            for worker in workers
            if (status := files.get(worker)) is not None
        ]
    return _from_cloudwatch(unknown, "workers", lambda: _workers_from_cloudwatch(target, list(workers)), [])


def _workers_from_cloudwatch(target: Target, workers: list[str]) -> list[dict[str, Any]]:
    """The sums of the workers' EMF metrics over the last hour (namespace: the project's name)."""
    now = datetime.now(UTC)
    event_types = {"like_worker": "LikeRequested", "adopt_worker": "AdoptionRequested"}
    queries = [
        {
            "Id": f"w{index}_{name}",
            "MetricStat": {
                "Metric": {
                    "Namespace": target.project,
                    "MetricName": name,
                    "Dimensions": [
                        {"Name": "service", "Value": worker},
                        {"Name": "eventType", "Value": event_types[worker]},
                    ],
                },
                "Period": 3600,
                "Stat": "Sum",
            },
        }
        for index, worker in enumerate(workers)
        for name in COUNTS
    ]
    response = target.client("cloudwatch").get_metric_data(
        MetricDataQueries=queries, StartTime=now - timedelta(hours=1), EndTime=now
    )
    counts: dict[str, dict[str, int]] = {worker: dict.fromkeys(COUNTS, 0) for worker in workers}
    reported: set[str] = set()  # a worker CloudWatch has no datapoint of is unknown, not idle
    for result in response.get("MetricDataResults", []):
        index, name = result["Id"][1:].split("_", 1)
        if result.get("Values"):
            reported.add(workers[int(index)])
        counts[workers[int(index)]][name] = int(sum(result.get("Values", [])))
    return [
        {"service": worker, "source": "CloudWatch, last hour", "lastPollSecondsAgo": None, "counts": counts[worker]}
        for worker in workers
        if worker in reported
    ]


def _totals(target: Target) -> dict[str, int]:
    pipeline = target.pipeline
    repository = DynamoMysfitRepository(
        target.client("dynamodb"), pipeline.mysfits_table, pipeline.processed_events_table
    )
    return catalogue_totals(repository.find(None))


def render(status: dict[str, Any]) -> str:
    """The status as a person reads it at a terminal."""
    queue_rows = [
        [
            f"{entry['name']}{suffix}",
            queue["name"],
            queue["visible"],
            queue["inFlight"],
            queue["delayed"],
            ago(queue["oldestAgeSeconds"]),
        ]
        for entry in status["queues"]
        for suffix, queue in (("", entry["queue"]), (" DLQ", entry["dlq"]))
    ]
    subscription_rows = [
        [s["endpoint"], s["protocol"], s["filterPolicy"] or "(all events)", "yes" if s["rawMessageDelivery"] else "no"]
        for s in status["subscriptions"]
    ]
    worker_rows = [
        [w["service"], ago(w["lastPollSecondsAgo"]), *(w["counts"].get(name, 0) for name in COUNTS), w["source"]]
        for w in status["workers"]
    ]
    totals, switch, unknown = status["totals"], status["switch"], status["unknown"]
    queue_table = table(["queue", "name", "visible", "in flight", "delayed", "oldest"], queue_rows)
    if "oldest" in unknown:
        queue_table += f"\noldest: unknown ({unknown['oldest']})"
    workers = f"workers: unknown ({unknown['workers']})" if "workers" in unknown else "workers: unknown"
    return "\n\n".join(
        [
            f"{status['project']} on {status['target']}",
            queue_table,
            table(["subscription", "protocol", "filter policy", "raw"], subscription_rows),
            table(["worker", "last poll", *COUNTS, "source"], worker_rows) if worker_rows else workers,
            f"switch: like {switch.get('like') or '-'}, adopt {switch.get('adopt') or '-'}    "
            f"totals: {totals['likes']} likes, {totals['adopted']} of {totals['mysfits']} mysfits adopted",
        ]
    )
