"""Fargate CPU/memory pairs: the services template's Rules accept exactly the pairs Fargate runs,
and a deploy of any other is refused before anything is created (the emulator checks Rules as
CloudFormation does: embedded/emulator/stack_rules.py)."""

from __future__ import annotations

from typing import Any

import boto3
import pytest

from deploy.stacks import DeployError, deploy_stack, stack_status
from deploy.templates import load_template, parameter_values
from embedded.emulator.stack_rules import broken_rules
from tests.infra.support import TEMPLATE_DIR

#: Fargate's Linux task sizes: CPU units -> the memory (MiB) each takes.
FARGATE = {
    256: {512, 1024, 2048},
    512: set(range(1024, 4097, 1024)),
    1024: set(range(2048, 8193, 1024)),
    2048: set(range(4096, 16385, 1024)),
    4096: set(range(8192, 30721, 1024)),
}
SERVICES = load_template(TEMPLATE_DIR / "services.yaml")


def _broken(template: dict[str, Any], parameters: dict[str, str]) -> list[str]:
    return broken_rules(template, parameter_values(template, parameters))


@pytest.mark.parametrize("task", ["Monolith", "Worker"])
def test_rules_accept_exactly_fargates_pairs(task: str) -> None:
    for cpu, memories in FARGATE.items():
        for memory in range(512, 30721, 512):
            problems = _broken(SERVICES, {f"{task}Cpu": str(cpu), f"{task}Memory": str(memory)})
            assert (problems == []) == (memory in memories), (cpu, memory, problems)


def test_a_broken_rule_says_what_fits() -> None:
    assert _broken(SERVICES, {"WorkerCpu": "256", "WorkerMemory": "4096"}) == [
        "With 256 CPU units, Fargate takes 512, 1024 or 2048 MiB."
    ]


def test_the_ingress_rules_are_checked_too() -> None:
    ingress = load_template(TEMPLATE_DIR / "ingress.yaml")
    assert _broken(ingress, {"ApiDomainName": "api.example.com"}) == [
        "ApiDomainName is served over HTTPS only, so it needs CertificateArn."
    ]


def test_a_deploy_of_an_invalid_pair_is_refused_and_creates_nothing(emulator: str) -> None:
    cfn = boto3.session.Session(region_name="us-east-1").client("cloudformation", endpoint_url=emulator)

    with pytest.raises(DeployError, match="With 1024 CPU units, Fargate takes 2048 to 8192 MiB"):
        deploy_stack(
            cfn,
            "fargate-sizes-services",
            TEMPLATE_DIR / "services.yaml",
            {"ImageTag": "0123abc", "MonolithCpu": "1024", "MonolithMemory": "1024"},
            poll_delay=0.2,
            timeout=60,
        )

    assert stack_status(cfn, "fargate-sizes-services") is None
