"""The parameters the deploy command gives each stack: its options, and the outputs of the stacks
deployed before it, turned into each template's parameters."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from deploy.aws import DeployOptions

__all__ = ["ApiOrigin", "NatChoice", "stack_name", "stack_parameters"]

#: The network template's NatGateways: one per AZ, one for both, or none (tasks in the public subnets).
NatChoice = Literal["per-az", "one", "none"]
#: How CloudFront reaches the load balancer: a VPC origin (the load balancer internal) or the internet.
ApiOrigin = Literal["vpc-origin", "internet"]


def stack_name(project: str, component: str) -> str:
    return f"{project}-{component}"


def stack_parameters(
    component: str, options: DeployOptions, image_tag: str, outputs: Mapping[str, Mapping[str, str]]
) -> dict[str, str]:
    """The parameters of ``component``'s stack; ``outputs`` holds the stacks deployed before it.

    An option not given (``None``) gives no parameter: the stack keeps its value (see
    :func:`deploy.stacks.deploy_stack`'s ``keep_previous``), or a new one takes the template's default.
    """
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
        if options.nat is not None:
            parameters["NatGateways"] = options.nat
    elif component == "ingress":
        if options.certificate_arn is not None:
            parameters["CertificateArn"] = options.certificate_arn
        if options.api_domain_name is not None:
            parameters["ApiDomainName"] = options.api_domain_name
        if options.api_origin is not None:
            parameters["LoadBalancerScheme"] = "internal" if options.api_origin == "vpc-origin" else "internet-facing"
        parameters["CloudFrontPrefixListId"] = options.cloudfront_prefix_list_id
    elif component == "website":
        # Parameters, not imports: they change when HTTPS is switched on (see ingress.yaml).
        parameters["ApiOriginDomainName"] = outputs["ingress"]["OriginDomainName"]
        parameters["ApiOriginProtocolPolicy"] = outputs["ingress"]["OriginProtocolPolicy"]
        parameters["ApiOriginScheme"] = outputs["ingress"]["LoadBalancerScheme"]
        parameters["ApiOriginLoadBalancerArn"] = outputs["ingress"]["LoadBalancerArn"]
    elif component == "services":
        parameters["ImageTag"] = image_tag
        # Without NAT, tasks reach AWS's APIs from the public subnets, on public IPs.
        if options.nat is not None:
            parameters["TaskSubnets"] = "public" if options.nat == "none" else "private"
        if options.small_workers is not None:
            size = ("256", "512") if options.small_workers else ("512", "1024")
            parameters["WorkerCpu"], parameters["WorkerMemory"] = size
        if options.pipeline_view is not None:
            parameters["PipelineView"] = "1" if options.pipeline_view else "0"
        # The browser's origin is the CloudFront distribution, and nothing broader.
        parameters["CorsAllowedOrigins"] = outputs["website"]["WebsiteUrl"]
    elif component == "alarms" and options.alarm_email is not None:
        parameters["AlarmEmail"] = options.alarm_email
    return parameters
