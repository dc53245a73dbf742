"""Switching an existing deployment to ``--no-nat`` without an outage, against the embedded
emulator: the services stack moves the tasks to the public subnets before the network stack takes
the NAT gateways away (the other way round, tasks in private subnets lose AWS's APIs meanwhile);
switching back adds the NAT gateways before the tasks return to the private subnets."""

from __future__ import annotations

from typing import Any

import boto3

from deploy.aws import stack_name
from tests.infra.support import deploy_aws_stacks

PROJECT = "natswitch"
COMPONENTS = ("registry", "network", "data", "messaging", "ingress", "services")


def _updates_in_order(emulator: str) -> tuple[Any, list[str]]:
    """A CloudFormation client of the emulator, and the stacks it is asked to update, in order."""
    cfn = boto3.session.Session(region_name="us-east-1").client("cloudformation", endpoint_url=emulator)
    updated: list[str] = []
    cfn.meta.events.register(
        "provide-client-params.cloudformation.UpdateStack",
        lambda params, **_: updated.append(params["StackName"].removeprefix(f"{PROJECT}-")),
    )
    return cfn, updated


def _task_subnets(cfn: Any) -> str:
    (stack,) = cfn.describe_stacks(StackName=stack_name(PROJECT, "services"))["Stacks"]
    return next(p["ParameterValue"] for p in stack["Parameters"] if p["ParameterKey"] == "TaskSubnets")


def test_the_tasks_leave_the_private_subnets_before_the_nat_gateways_go_and_return_after(emulator: str) -> None:
    # GIVEN a deployment with a NAT gateway per AZ
    deploy_aws_stacks(emulator, COMPONENTS, "https://d1.cloudfront.net", "tag1", project=PROJECT)

    # WHEN it is switched to no NAT
    cfn, updated = _updates_in_order(emulator)
    deploy_aws_stacks(emulator, COMPONENTS, "https://d1.cloudfront.net", "tag1", project=PROJECT, nat="none", cfn=cfn)

    # THEN the services moved first, then the network lost its NAT gateways
    assert updated.index("services") < updated.index("network")
    assert _task_subnets(cfn) == "public"

    # WHEN it is switched back, THEN the NAT gateways come first, then the tasks return
    cfn, updated = _updates_in_order(emulator)
    deploy_aws_stacks(emulator, COMPONENTS, "https://d1.cloudfront.net", "tag1", project=PROJECT, nat="one", cfn=cfn)
    assert updated.index("network") < updated.index("services")
    assert _task_subnets(cfn) == "private"
