"""Switching HTTPS on after an HTTP first deploy, against the embedded emulator: the ingress stack
updates, and every output it exports keeps its value (the website takes the values that change as
parameters). moto does not refuse to change an export in use, so the values are compared here."""

from __future__ import annotations

import boto3

from deploy.aws import DeployOptions, stack_name, stack_parameters
from deploy.cloudfront import origin_facing_prefix_list_id
from deploy.stacks import deploy_stack, stack_status
from deploy.templates import load_template
from tests.infra.support import TEMPLATE_DIR

PROJECT = "httpsswitch"


def _exported(outputs: dict[str, str]) -> dict[str, str]:
    """The outputs ingress.yaml exports (moto's ExportName is matched by value, so it cannot tell)."""
    declared = load_template(TEMPLATE_DIR / "ingress.yaml")["Outputs"]
    return {key: value for key, value in outputs.items() if "Export" in declared[key]}


def test_https_after_an_http_first_deploy_keeps_the_exports(emulator: str) -> None:
    session = boto3.session.Session(region_name="us-east-1")
    cfn, elbv2 = session.client("cloudformation", endpoint_url=emulator), session.client("elbv2", endpoint_url=emulator)

    def deploy(component: str, options: DeployOptions) -> dict[str, str]:
        return deploy_stack(
            cfn,
            stack_name(PROJECT, component),
            TEMPLATE_DIR / f"{component}.yaml",
            stack_parameters(component, options, "unused", {}),
            poll_delay=0.2,
            timeout=60,
        )

    # GIVEN an HTTP first deploy
    prefix_list = origin_facing_prefix_list_id(session.client("ec2", endpoint_url=emulator))
    assert prefix_list is not None
    http = DeployOptions(project=PROJECT, cloudfront_prefix_list_id=prefix_list)
    deploy("network", http)
    before = deploy("ingress", http)

    # WHEN HTTPS is switched on
    certificate = session.client("acm", endpoint_url=emulator).request_certificate(DomainName="api.example.com")
    https = DeployOptions(
        project=PROJECT,
        cloudfront_prefix_list_id=prefix_list,
        certificate_arn=certificate["CertificateArn"],
        api_domain_name="api.example.com",
    )
    after = deploy("ingress", https)

    # THEN the update went through, serves HTTPS, and changed no export
    assert stack_status(cfn, stack_name(PROJECT, "ingress")) == "UPDATE_COMPLETE"
    listeners = elbv2.describe_listeners(LoadBalancerArn=after["LoadBalancerArn"])["Listeners"]
    assert {(listener["Protocol"], listener["Port"]) for listener in listeners} == {("HTTP", 80), ("HTTPS", 443)}
    assert _exported(after) == _exported(before)
    assert len(_exported(before)) >= 5
    # what the website takes as parameters did change
    assert (before["OriginProtocolPolicy"], after["OriginProtocolPolicy"]) == ("http-only", "https-only")
    assert after["OriginDomainName"] == "api.example.com"
