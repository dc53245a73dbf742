"""The target: where each AWS service is (boto3's standard configuration), and the pipeline's names
read from the deployed stacks' outputs (:class:`deploy.topology.Topology`)."""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import boto3
from botocore.config import Config

from deploy.endpoints import Endpoints, with_emulator_credentials
from deploy.stacks import DeployError, stack_outputs, stack_status
from deploy.topology import Topology, read_topology
from mysfits_common import aws

__all__ = ["Target"]

# Short timeouts and one retry: an operator at a terminal wants "unreachable" in seconds.
_CONFIG = Config(connect_timeout=3, read_timeout=15, retries={"mode": "standard", "max_attempts": 2})
_LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}
# The services ops touches; a target is local only when every one of them is.
_SERVICES = ("cloudformation", "sqs", "sns", "ssm", "dynamodb", "cloudwatch")
_LOG_GROUP_OUTPUTS = {"like_worker": "LikeWorkerLogGroupName", "adopt_worker": "AdoptWorkerLogGroupName"}


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
    def pipeline(self) -> Topology:
        """The pipeline's names, from the outputs of ``{project}-data`` and ``{project}-messaging``."""
        return read_topology(self._cloudformation_beside("dynamodb"), self._cloudformation_beside("sqs"), self.project)

    @functools.cached_property
    def log_groups(self) -> dict[str, str]:
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
