"""CloudFront reaches the API through a VPC origin: a new deployment's load balancer is internal, in
the private subnets, with no public address; an existing internet-facing one is kept (replacing it
changes exports that the services and alarms stacks import). Against the embedded emulator, which
has no CloudFront: the website stack's side is checked on the template."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import boto3

from deploy.aws import DeployOptions, stack_name, stack_parameters
from deploy.stacks import deploy_stack
from deploy.templates import load_template
from tests.infra.support import REPO_ROOT, TEMPLATE_DIR, deploy_aws_stacks

COMPONENTS = ("network", "ingress")
#: The ingress template before VPC origins: what an existing deployment was created from.
BEFORE_VPC_ORIGINS = "e471631"


def _load_balancer(emulator: str, project: str) -> dict[str, Any]:
    session = boto3.session.Session(region_name="us-east-1")
    cfn = session.client("cloudformation", endpoint_url=emulator)
    (stack,) = cfn.describe_stacks(StackName=f"{project}-ingress")["Stacks"]
    outputs = {o["OutputKey"]: o["OutputValue"] for o in stack["Outputs"]}
    elbv2 = session.client("elbv2", endpoint_url=emulator)
    (described,) = elbv2.describe_load_balancers(LoadBalancerArns=[outputs["LoadBalancerArn"]])["LoadBalancers"]
    return described


def test_a_new_deployments_load_balancer_is_internal_in_the_private_subnets(emulator: str) -> None:
    deployed = deploy_aws_stacks(emulator, COMPONENTS, "https://d1.cloudfront.net", "tag", project="vpcorigin")

    described = _load_balancer(emulator, "vpcorigin")
    assert described["Scheme"] == "internal"
    private = set(deployed.outputs["network"]["PrivateSubnetIds"].split(","))
    assert {zone["SubnetId"] for zone in described["AvailabilityZones"]} == private
    # and the website stack is told to reach it through a VPC origin
    website = stack_parameters("website", DeployOptions(project="vpcorigin"), "tag", deployed.outputs)
    assert website["ApiOriginScheme"] == "internal"
    assert website["ApiOriginLoadBalancerArn"] == deployed.outputs["ingress"]["LoadBalancerArn"]


def test_an_existing_internet_facing_load_balancer_is_kept(emulator: str, tmp_path: Path) -> None:
    # GIVEN a deployment made before VPC origins
    old = tmp_path / "ingress.yaml"
    old.write_text(
        subprocess.run(
            ["git", "show", f"{BEFORE_VPC_ORIGINS}:infra/cloudformation/ingress.yaml"],
            cwd=REPO_ROOT, capture_output=True, text=True, check=True,
        ).stdout,
        encoding="utf-8",
    )
    deployed = deploy_aws_stacks(emulator, ("network",), "https://d1.cloudfront.net", "tag", project="oldorigin")
    cfn = boto3.session.Session(region_name="us-east-1").client("cloudformation", endpoint_url=emulator)
    options = DeployOptions(project="oldorigin", cloudfront_prefix_list_id=deployed.prefix_list)
    parameters = stack_parameters("ingress", options, "tag", deployed.outputs)
    parameters.pop("LoadBalancerScheme", None)
    deploy_stack(cfn, stack_name("oldorigin", "ingress"), old, parameters, poll_delay=0.2, timeout=60)
    before = _load_balancer(emulator, "oldorigin")

    # WHEN today's deploy runs with no option
    deploy_aws_stacks(emulator, COMPONENTS, "https://d1.cloudfront.net", "tag", project="oldorigin")

    # THEN the same load balancer serves, internet-facing as it was
    after = _load_balancer(emulator, "oldorigin")
    assert (after["LoadBalancerArn"], after["Scheme"]) == (before["LoadBalancerArn"], "internet-facing")


def test_the_distribution_reaches_an_internal_load_balancer_through_a_vpc_origin() -> None:
    template = load_template(TEMPLATE_DIR / "website.yaml")
    resources = template["Resources"]
    vpc_origin = resources["ApiVpcOrigin"]
    assert vpc_origin["Condition"] == "ViaVpcOrigin"
    assert template["Conditions"]["ViaVpcOrigin"] == {"Fn::Equals": [{"Ref": "ApiOriginScheme"}, "internal"]}
    endpoint = vpc_origin["Properties"]["VpcOriginEndpointConfig"]
    assert endpoint["Arn"] == {"Ref": "ApiOriginLoadBalancerArn"}
    assert endpoint["OriginProtocolPolicy"] == {"Ref": "ApiOriginProtocolPolicy"}
    (api,) = [o for o in resources["Distribution"]["Properties"]["DistributionConfig"]["Origins"] if o["Id"] == "api"]
    assert api["VpcOriginConfig"]["Fn::If"][0] == "ViaVpcOrigin"
    assert api["VpcOriginConfig"]["Fn::If"][1]["VpcOriginId"] == {"Fn::GetAtt": ["ApiVpcOrigin", "Id"]}
    assert api["CustomOriginConfig"]["Fn::If"][:2] == ["ViaVpcOrigin", {"Ref": "AWS::NoValue"}]
