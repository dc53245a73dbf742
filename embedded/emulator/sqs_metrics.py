"""SQS's CloudWatch metrics, which AWS publishes for every queue once a minute and moto never does.

The age of a queue's oldest message is no queue attribute: AWS keeps it in CloudWatch only
(``AWS/SQS ApproximateAgeOfOldestMessage``), and ``python -m ops status`` reads it there. moto's
CloudWatch holds what is put into it and nothing else, so a publisher on a daemon thread puts, every
``EMULATOR_SQS_METRICS_SECONDS`` (default 60, as SQS), for every queue of every account and region:
``ApproximateNumberOfMessagesVisible``, ``ApproximateNumberOfMessagesNotVisible`` and
``ApproximateAgeOfOldestMessage`` (seconds since the oldest message was sent; 0 when the queue is
empty), dimension ``QueueName``. Datapoints of this namespace older than an hour are dropped, so
that a long run's memory stays bounded.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

from moto.cloudwatch.models import CloudWatchBackend, MetricDatum, cloudwatch_backends
from moto.core.utils import utcnow
from moto.sqs.models import Queue, SQSBackend, sqs_backends

__all__ = ["publish_sqs_metrics"]

logger = logging.getLogger(__name__)
NAMESPACE = "AWS/SQS"
_KEPT = timedelta(hours=1)


def _backends(backends: Any) -> Iterator[tuple[str, str, Any]]:
    for account_id in list(backends.keys()):
        for region in list(backends[account_id].keys()):
            yield account_id, region, backends[account_id][region]


def _oldest_age_seconds(queue: Queue, now: float) -> float:
    sent = [int(m.sent_timestamp or 0) for m in list(queue._messages) if m.sent_timestamp]
    return max(0.0, now - min(sent) / 1000) if sent else 0.0


def publish_sqs_metrics(
    sqs: Any = sqs_backends, cloudwatch: Any = cloudwatch_backends, now: float | None = None
) -> int:
    """Put the metrics of every queue into CloudWatch now; return how many queues were measured."""
    moment = time.time() if now is None else now
    stamp = utcnow()
    measured = 0
    for account_id, region, backend in _backends(sqs):
        assert isinstance(backend, SQSBackend)
        target: CloudWatchBackend = cloudwatch[account_id][region]
        for queue in list(backend.queues.values()):
            dimensions = [{"Name": "QueueName", "Value": queue.name}]
            values = {
                "ApproximateNumberOfMessagesVisible": float(queue.approximate_number_of_messages),
                "ApproximateNumberOfMessagesNotVisible": float(queue.approximate_number_of_messages_not_visible),
                "ApproximateAgeOfOldestMessage": _oldest_age_seconds(queue, moment),
            }
            for name, value in values.items():
                # Appended as moto's PutMetricData would, which refuses the AWS/ namespaces.
                target.metric_data.append(MetricDatum(NAMESPACE, name, value, dimensions, stamp, "None"))
            measured += 1
        target.metric_data = [
            datum for datum in target.metric_data if datum.namespace != NAMESPACE or stamp - datum.timestamp < _KEPT
        ]
    return measured
