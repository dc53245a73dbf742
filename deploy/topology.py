"""The pipeline as the data and messaging stacks' outputs name it: one model for every reader
(``make run``, LocalStack's hook, the tests, ``ops``), and the outputs it is read from, once."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from deploy.stacks import stack_outputs
from mysfits_common.metrics import WORKER_OF_QUEUE

__all__ = [
    "QUEUES",
    "QueuePair",
    "Topology",
    "data_stack_name",
    "messaging_stack_name",
    "queue_outputs",
    "read_topology",
    "topology_from_outputs",
]

QUEUES = {"like": "Like", "adoption": "Adoption"}  # queue name -> prefix of its stack outputs
_DATA_OUTPUTS = ("MysfitsTableName", "ProcessedEventsTableName")
# The mode parameters' outputs are optional: older messaging stacks lack them.
_MODE_OUTPUTS = {"like": "LikeModeParameterName", "adopt": "AdoptModeParameterName"}


def data_stack_name(project: str) -> str:
    return f"{project}-data"


def messaging_stack_name(project: str) -> str:
    return f"{project}-messaging"


def queue_outputs(queue: str) -> tuple[str, str, str, str]:
    """The messaging stack's outputs for ``queue`` ("like", "adoption"), in the order QueuePair
    takes them: its URL and ARN, then its DLQ's."""
    prefix = QUEUES[queue]
    return f"{prefix}QueueUrl", f"{prefix}QueueArn", f"{prefix}DeadLetterQueueUrl", f"{prefix}DeadLetterQueueArn"


_MESSAGING_OUTPUTS = ("EventsTopicArn", *(key for queue in QUEUES for key in queue_outputs(queue)))


@dataclass(frozen=True)
class QueuePair:
    """A queue of the pipeline, its DLQ and the worker that consumes it."""

    name: str  # "like" or "adoption"
    worker: str
    url: str
    arn: str
    dlq_url: str
    dlq_arn: str


@dataclass(frozen=True)
class Topology:
    """Names and addresses of the deployed data and messaging resources."""

    mysfits_table: str
    processed_events_table: str
    events_topic_arn: str
    queues: Mapping[str, QueuePair]  # by name: "like", "adoption"
    mode_parameters: Mapping[str, str] = field(default_factory=dict)  # feature ("like", "adopt") -> SSM parameter


def topology_from_outputs(outputs: Mapping[str, str]) -> Topology:
    """The topology named by the outputs of the data and messaging stacks, merged."""
    return Topology(
        mysfits_table=outputs["MysfitsTableName"],
        processed_events_table=outputs["ProcessedEventsTableName"],
        events_topic_arn=outputs["EventsTopicArn"],
        queues={
            name: QueuePair(name, WORKER_OF_QUEUE[name], *(outputs[key] for key in queue_outputs(name)))
            for name in QUEUES
        },
        mode_parameters={feature: outputs.get(key, "") for feature, key in _MODE_OUTPUTS.items()},
    )


def read_topology(data_cloudformation: Any, messaging_cloudformation: Any, project: str) -> Topology:
    """The topology of ``{project}-data`` and ``{project}-messaging``, each read from the
    CloudFormation beside its resources (as :mod:`deploy.local` deploys them); IncompleteStack where
    one lacks an output the topology needs."""
    data = stack_outputs(data_cloudformation, data_stack_name(project), _DATA_OUTPUTS)
    messaging = stack_outputs(messaging_cloudformation, messaging_stack_name(project), _MESSAGING_OUTPUTS)
    return topology_from_outputs({**data, **messaging})
