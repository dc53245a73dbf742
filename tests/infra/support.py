"""Helpers shared by the infrastructure tests."""

from __future__ import annotations

import shutil
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3

REPO_ROOT = Path(__file__).resolve().parents[2]
TEMPLATE_DIR = REPO_ROOT / "infra" / "cloudformation"


def venv_command(script: str, module_main: str) -> list[str]:
    """The console script installed next to this interpreter, else ``python -c`` of its entry point."""
    candidate = Path(sys.executable).parent / script
    if candidate.exists():
        return [str(candidate)]
    found = shutil.which(script)
    if found:
        return [found]
    module, func = module_main.split(":")
    return [sys.executable, "-c", f"import sys; from {module} import {func}; sys.exit({func}())"]


@dataclass(frozen=True)
class AwsClients:
    """CloudFormation, SNS, SQS and DynamoDB clients that all talk to the same place (an emulator)."""

    cloudformation: Any
    sns: Any
    sqs: Any
    dynamodb: Any

    @classmethod
    def from_session(cls, session: boto3.session.Session, endpoint_url: str | None = None) -> AwsClients:
        """Clients from ``session``; ``endpoint_url=None`` keeps boto3's standard configuration
        (including the ``AWS_ENDPOINT_URL`` / ``AWS_ENDPOINT_URL_<SERVICE>`` variables)."""
        kwargs: dict[str, Any] = {} if endpoint_url is None else {"endpoint_url": endpoint_url}
        return cls(
            cloudformation=session.client("cloudformation", **kwargs),
            sns=session.client("sns", **kwargs),
            sqs=session.client("sqs", **kwargs),
            dynamodb=session.client("dynamodb", **kwargs),
        )


@dataclass(frozen=True)
class DeployedStacks:
    """AWS templates deployed to an emulator the way ``python -m deploy.aws`` wires them."""

    session: boto3.session.Session
    endpoint: str
    outputs: dict[str, dict[str, str]]
    physical: dict[str, dict[str, str]]  # component -> logical id -> physical id
    prefix_list: str  # CloudFront's origin-facing prefix list, as the deploy command looks it up
    changes: list[str]  # the parameter changes the deploy announced, "<stack>: <name> <old> -> <new>"

    def client(self, service: str) -> Any:
        return self.session.client(service, endpoint_url=self.endpoint)


def deploy_aws_stacks(
    emulator: str,
    components: Sequence[str],
    website_url: str,
    image_tag: str,
    cfn: Any = None,
    **options: Any,
) -> DeployedStacks:
    """Deploy ``components`` in ``deploy.aws``'s order with its parameters (``options`` are its
    :class:`~deploy.aws.DeployOptions`); the website's URL stands in for the undeployed CloudFront.
    ``cfn``: the CloudFormation client to use (the emulator's by default)."""
    from deploy.aws import DeployOptions, deployment_order, new_deployment_choices, stack_name, stack_parameters
    from deploy.cloudfront import origin_facing_prefix_list_id
    from deploy.stacks import deploy_stack

    session = boto3.session.Session(region_name="us-east-1")
    cfn = cfn or session.client("cloudformation", endpoint_url=emulator)
    # The prefix list the deploy command looks up (moto has CloudFront's, with its own id).
    prefix_list = origin_facing_prefix_list_id(session.client("ec2", endpoint_url=emulator))
    assert prefix_list is not None
    chosen = new_deployment_choices(cfn, DeployOptions(cloudfront_prefix_list_id=prefix_list, **options))
    outputs: dict[str, dict[str, str]] = {"website": {"WebsiteUrl": website_url}}
    physical: dict[str, dict[str, str]] = {}
    changes: list[str] = []
    for component in deployment_order(cfn, chosen, components):
        name = stack_name(chosen.project, component)
        outputs[component] = deploy_stack(
            cfn,
            name,
            TEMPLATE_DIR / f"{component}.yaml",
            stack_parameters(component, chosen, image_tag, outputs),
            capabilities=("CAPABILITY_IAM",),
            keep_previous=True,
            announce=changes.append,
            poll_delay=0.2,
            timeout=60,
        )
        physical[component] = {
            r["LogicalResourceId"]: r["PhysicalResourceId"]
            for r in cfn.list_stack_resources(StackName=name)["StackResourceSummaries"]
            if r.get("LogicalResourceId")
        }
    return DeployedStacks(session, emulator, outputs, physical, prefix_list, changes)
