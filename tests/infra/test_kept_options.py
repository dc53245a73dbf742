"""A later deploy keeps what an earlier one chose, against the embedded emulator: each option the
deploy command offers, given once, holds on a deploy without it (CloudFormation's UsePreviousValue),
changes only when given again, and the deploy says what it changes."""

from __future__ import annotations

from typing import Any

import boto3
import pytest

from deploy.aws import stack_name
from tests.infra.support import deploy_aws_stacks

PROJECT = "keepopts"
COMPONENTS = ("registry", "network", "data", "messaging", "ingress", "services", "alarms")
#: The parameters the options decide, by stack.
CHOSEN = {
    "network": ("NatGateways",),
    "ingress": ("CertificateArn", "ApiDomainName"),
    "services": ("TaskSubnets", "WorkerCpu", "WorkerMemory", "PipelineView"),
    "alarms": ("AlarmEmail",),
}


def _parameters(cfn: Any) -> dict[str, dict[str, str]]:
    values = {}
    for component, names in CHOSEN.items():
        (stack,) = cfn.describe_stacks(StackName=stack_name(PROJECT, component))["Stacks"]
        given = {p["ParameterKey"]: p.get("ParameterValue", "") for p in stack["Parameters"]}
        values[component] = {name: given[name] for name in names}
    return values


@pytest.fixture(scope="module")
def certificate(emulator: str) -> str:
    acm = boto3.session.Session(region_name="us-east-1").client("acm", endpoint_url=emulator)
    return str(acm.request_certificate(DomainName="api.example.com")["CertificateArn"])


def test_a_plain_deploy_keeps_every_earlier_choice_and_a_flag_changes_one(emulator: str, certificate: str) -> None:
    cfn = boto3.session.Session(region_name="us-east-1").client("cloudformation", endpoint_url=emulator)
    chosen = {
        "nat": "none",
        "small_workers": True,
        "pipeline_view": True,
        "alarm_email": "oncall@example.com",
        "certificate_arn": certificate,
        "api_domain_name": "api.example.com",
    }
    # GIVEN a first deploy that chose every option
    first = deploy_aws_stacks(emulator, COMPONENTS, "https://d1.cloudfront.net", "tag1", project=PROJECT, **chosen)
    before = _parameters(cfn)
    assert before["network"] == {"NatGateways": "none"}
    small = {"TaskSubnets": "public", "WorkerCpu": "256", "WorkerMemory": "512", "PipelineView": "1"}
    assert before["services"] == small
    assert first.changes == []  # created, nothing changed

    # WHEN a new image is deployed with no option at all
    second = deploy_aws_stacks(emulator, COMPONENTS, "https://d1.cloudfront.net", "tag2", project=PROJECT)

    # THEN every choice holds, and only the image tag is reported as changing
    assert _parameters(cfn) == before
    assert second.changes == [f"{PROJECT}-services: ImageTag tag1 -> tag2"]

    # WHEN one option is given again, THEN that one changes, and the deploy says so
    third = deploy_aws_stacks(
        emulator, COMPONENTS, "https://d1.cloudfront.net", "tag2", project=PROJECT, small_workers=False
    )
    after = _parameters(cfn)
    assert after["services"] == {**small, "WorkerCpu": "512", "WorkerMemory": "1024"}
    assert {k: v for k, v in after.items() if k != "services"} == {k: v for k, v in before.items() if k != "services"}
    assert third.changes == [
        f"{PROJECT}-services: WorkerCpu 256 -> 512",
        f"{PROJECT}-services: WorkerMemory 512 -> 1024",
    ]
