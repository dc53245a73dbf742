"""The target: where each AWS service is (boto3's standard configuration), and the pipeline's names
read from the deployed stacks' outputs."""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import boto3
from botocore.config import Config

from deploy.endpoints import Endpoints, with_emulator_credentials
from deploy.local import data_stack_name, messaging_stack_name
from deploy.stacks import DeployError, stack_outputs, stack_status
from mysfits_common import aws
from mysfits_common.metrics import WORKER_OF_QUEUE

__all__ = ["QUEUES", "Pipeline", "QueuePair", "Target", "queue_outputs"]

# Short timeouts and one retry: an operator at a terminal wants "unreachable" in seconds.
_CONFIG = Config(connect_timeout=3, read_timeout=15, retries={"mode": "standard", "max_attempts": 2})
_LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}
# The services ops touches; a target is local only when every one of them is.
_SERVICES = ("cloudformation", "sqs", "sns", "ssm", "dynamodb", "cloudwatch")
QUEUES = {"like": "Like", "adoption": "Adoption"}  # queue name -> prefix of its stack outputs
# The outputs the pipeline is read from (the mode parameters are optional: older stacks lack them).
_DATA_OUTPUTS = ("MysfitsTableName", "ProcessedEventsTableName")


def queue_outputs(queue: str) -> tuple[str, str, str, str]:
    """The messaging stack's outputs for ``queue`` ("like", "adoption"), in the order QueuePair and
    RedriveQueues take them: its URL and ARN, then its DLQ's."""
    prefix = QUEUES[queue]
    return f"{prefix}QueueUrl", f"{prefix}QueueArn", f"{prefix}DeadLetterQueueUrl", f"{prefix}DeadLetterQueueArn"


_MESSAGING_OUTPUTS = ("EventsTopicArn", *(key for queue in QUEUES for key in queue_outputs(queue)))
_LOG_GROUP_OUTPUTS = {"like_worker": "LikeWorkerLogGroupName", "adopt_worker": "AdoptWorkerLogGroupName"}


@dataclass(frozen=True)
class QueuePair:
    name: str  # "like" or "adoption"
    worker: str
    url: str
    arn: str
    dlq_url: str
    dlq_arn: str


@dataclass(frozen=True)
class Pipeline:
    topic_arn: str
    queues: dict[str, QueuePair]
    mysfits_table: str
    processed_events_table: str
    mode_parameters: dict[str, str]  # feature ("like", "adopt") -> SSM parameter name
    log_groups: dict[str, str] = field(default_factory=dict)  # worker -> log group, where deployed


@dataclass
class Target:
    project: str = "mysfits"
    endpoints: Endpoints = field(default_factory=Endpoints)
    _clients: dict[str, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def from_environment(cls, project: str, endpoint_url: str | None = None) -> Target:
        region = (
            os.environ.get("AWS_REGION")
            or os.environ.get("AWS_DEFAULT_REGION")
            or boto3.session.Session().region_name
            or "us-east-1"
        )
        endpoints = Endpoints.single(endpoint_url, region) if endpoint_url else Endpoints(dict(os.environ), region)
        target = cls(project, endpoints)
        if target.is_local():  # any credentials do for an emulator: some when the environment has none
            target.endpoints = Endpoints(with_emulator_credentials(endpoints.env), region)
        return target

    @property
    def region(self) -> str:
        return self.endpoints.region

    def client(self, service: str) -> Any:
        if service not in self._clients:
            self._clients[service] = self._client(service, self.endpoints.url(service))
        return self._clients[service]

    def describe(self) -> str:
        """Where requests go, in a few words: "http://127.0.0.1:4566" or "AWS us-east-1"."""
        urls = {self.endpoints.url(service) for service in _SERVICES}
        if urls == {None}:
            return f"AWS {self.region}"
        return ", ".join(sorted(url or f"AWS {self.region}" for url in urls))

    def is_local(self) -> bool:
        """True when every service ops touches points at this machine (an emulator)."""
        for service in _SERVICES:
            url = self.endpoints.url(service)
            if url is None or urlsplit(url).hostname not in _LOCAL_HOSTS:
                return False
        return True

    def _cloudformation_beside(self, service: str) -> Any:
        url = self.endpoints.url(service)
        if url == self.endpoints.url("cloudformation"):
            return self.client("cloudformation")
        return self._client("cloudformation", url)

    def _client(self, service: str, url: str | None) -> Any:
        return aws.client(
            service, region_name=self.region, endpoint_url=url, config=_CONFIG, **self.endpoints.credentials()
        )

    @functools.cached_property
    def pipeline(self) -> Pipeline:
        """The pipeline's names, from the outputs of ``{project}-data`` and ``{project}-messaging``
        (each read from the CloudFormation beside its resources, as deploy/local.py deploys them)."""
        data = stack_outputs(
            self._cloudformation_beside("dynamodb"), data_stack_name(self.project), _DATA_OUTPUTS
        )
        messaging = stack_outputs(
            self._cloudformation_beside("sqs"), messaging_stack_name(self.project), _MESSAGING_OUTPUTS
        )
        queues = {
            name: QueuePair(name, WORKER_OF_QUEUE[name], *(messaging[key] for key in queue_outputs(name)))
            for name in QUEUES
        }
        return Pipeline(
            topic_arn=messaging["EventsTopicArn"],
            queues=queues,
            mysfits_table=data["MysfitsTableName"],
            processed_events_table=data["ProcessedEventsTableName"],
            mode_parameters={
                "like": messaging.get("LikeModeParameterName", ""),
                "adopt": messaging.get("AdoptModeParameterName", ""),
            },
            log_groups=self._log_groups(),
        )

    def _log_groups(self) -> dict[str, str]:
        """The workers' log groups, from the services stack where it is deployed (AWS only)."""
        cloudformation = self.client("cloudformation")
        name = f"{self.project}-services"
        try:
            if stack_status(cloudformation, name) is None:
                return {}
            outputs = stack_outputs(cloudformation, name)
        except DeployError:
            return {}
        return {worker: outputs[key] for worker, key in _LOG_GROUP_OUTPUTS.items() if key in outputs}
