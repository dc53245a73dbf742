"""The parameters the deploy command gives each stack: its options, and the outputs of the stacks
deployed before it, turned into each template's parameters."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from deploy.aws import DeployOptions

__all__ = ["stack_name", "stack_parameters"]


def stack_name(project: str, component: str) -> str:
    return f"{project}-{component}"


def stack_parameters(
    component: str, options: DeployOptions, image_tag: str, outputs: Mapping[str, Mapping[str, str]]
) -> dict[str, str]:
    """The parameters of ``component``'s stack; ``outputs`` holds the stacks deployed before it."""
    project = options.project
    parameters = {"ProjectName": project}
    imports = {
        "ingress": ("NetworkStack",),
        "website": ("NetworkStack", "IngressStack"),
        "services": ("NetworkStack", "DataStack", "MessagingStack", "RegistryStack", "IngressStack"),
        "alarms": ("MessagingStack", "IngressStack"),
    }
    for name in imports.get(component, ()):
        parameters[name] = stack_name(project, name.removesuffix("Stack").lower())
    if component == "network":
        parameters["NatGateways"] = "none" if options.no_nat else "one" if options.single_nat else "per-az"
    elif component == "ingress":
        parameters["CertificateArn"] = options.certificate_arn
        parameters["ApiDomainName"] = options.api_domain_name
        parameters["CloudFrontPrefixListId"] = options.cloudfront_prefix_list_id
    elif component == "website":
        # Parameters, not imports: they change when HTTPS is switched on (see ingress.yaml).
        parameters["ApiOriginDomainName"] = outputs["ingress"]["OriginDomainName"]
        parameters["ApiOriginProtocolPolicy"] = outputs["ingress"]["OriginProtocolPolicy"]
    elif component == "services":
        parameters["ImageTag"] = image_tag
        # Without NAT, tasks reach AWS's APIs from the public subnets, on public IPs.
        parameters["TaskSubnets"] = "public" if options.no_nat else "private"
        if options.small_workers:
            parameters["WorkerCpu"], parameters["WorkerMemory"] = "256", "512"
        parameters["PipelineView"] = "1" if options.pipeline_view else "0"
        # The browser's origin is the CloudFront distribution, and nothing broader.
        parameters["CorsAllowedOrigins"] = outputs["website"]["WebsiteUrl"]
    elif component == "alarms":
        parameters["AlarmEmail"] = options.alarm_email
    return parameters
