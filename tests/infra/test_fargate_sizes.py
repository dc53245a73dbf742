"""Fargate CPU/memory pairs: the services template's Rules accept exactly the pairs Fargate runs,
and the deploy tooling refuses any other before CloudFormation is asked (moto ignores Rules)."""

from __future__ import annotations

import pytest

from deploy.rules import broken_rules
from deploy.stacks import DeployError, deploy_stack
from deploy.templates import load_template
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


@pytest.mark.parametrize("task", ["Monolith", "Worker"])
def test_rules_accept_exactly_fargates_pairs(task: str) -> None:
    for cpu, memories in FARGATE.items():
        for memory in range(512, 30721, 512):
            problems = broken_rules(SERVICES, {f"{task}Cpu": str(cpu), f"{task}Memory": str(memory)})
            assert (problems == []) == (memory in memories), (cpu, memory, problems)


def test_a_broken_rule_says_what_fits() -> None:
    assert broken_rules(SERVICES, {"WorkerCpu": "256", "WorkerMemory": "4096"}) == [
        "WorkerMemoryFitsCpu256: With 256 CPU units, Fargate takes 512, 1024 or 2048 MiB."
    ]


def test_the_ingress_rules_are_checked_too() -> None:
    ingress = load_template(TEMPLATE_DIR / "ingress.yaml")
    assert broken_rules(ingress, {"ApiDomainName": "api.example.com"}) == [
        "DomainNameNeedsCertificate: ApiDomainName is served over HTTPS only, so it needs CertificateArn."
    ]


def test_deploy_stack_refuses_an_invalid_pair_before_any_call() -> None:
    with pytest.raises(DeployError, match="MonolithMemoryFitsCpu1024"):
        deploy_stack(
            object(),  # no client: nothing may be called
            "x-services",
            TEMPLATE_DIR / "services.yaml",
            {"ImageTag": "0123abc", "MonolithCpu": "1024", "MonolithMemory": "1024"},
        )
