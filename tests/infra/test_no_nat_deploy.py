"""The cheapest network (``deploy --no-nat --small-workers``), deployed to the embedded emulator
the way ``python -m deploy.aws`` deploys it: no NAT gateway, the tasks in the public subnets with
public IPs, their security groups still closed to the internet, the workers at 0.25 vCPU / 0.5 GiB."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import boto3
import pytest

from deploy.aws import DeployOptions, stack_name, stack_parameters
from deploy.cloudfront import origin_facing_prefix_list_id
from deploy.stacks import deploy_stack
from tests.infra.support import TEMPLATE_DIR

PROJECT = "nonat"
COMPONENTS = ("registry", "network", "data", "messaging", "ingress", "services")


@dataclass(frozen=True)
class Deployed:
    session: boto3.session.Session
    endpoint: str
    outputs: dict[str, dict[str, str]]
    physical: dict[str, dict[str, str]]

    def client(self, service: str) -> Any:
        return self.session.client(service, endpoint_url=self.endpoint)


@pytest.fixture(scope="module")
def deployed(emulator: str) -> Deployed:
    session = boto3.session.Session(region_name="us-east-1")
    cfn = session.client("cloudformation", endpoint_url=emulator)
    prefix_list = origin_facing_prefix_list_id(session.client("ec2", endpoint_url=emulator))
    assert prefix_list is not None
    options = DeployOptions(project=PROJECT, no_nat=True, small_workers=True, cloudfront_prefix_list_id=prefix_list)
    outputs: dict[str, dict[str, str]] = {"website": {"WebsiteUrl": "https://d1.cloudfront.net"}}
    physical: dict[str, dict[str, str]] = {}
    for component in COMPONENTS:
        name = stack_name(PROJECT, component)
        outputs[component] = deploy_stack(
            cfn,
            name,
            TEMPLATE_DIR / f"{component}.yaml",
            stack_parameters(component, options, "0123abc", outputs),
            capabilities=("CAPABILITY_IAM",),
            poll_delay=0.2,
            timeout=60,
        )
        physical[component] = {
            r["LogicalResourceId"]: r["PhysicalResourceId"]
            for r in cfn.list_stack_resources(StackName=name)["StackResourceSummaries"]
        }
    return Deployed(session, emulator, outputs, physical)


def test_no_nat_gateway_and_no_elastic_ip(deployed: Deployed) -> None:
    ec2 = deployed.client("ec2")
    vpc = deployed.outputs["network"]["VpcId"]
    gateways = ec2.describe_nat_gateways(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["NatGateways"]
    assert [g for g in gateways if g["State"] not in ("deleted", "deleting")] == []
    assert not any(logical.startswith("NatGateway") for logical in deployed.physical["network"])
    for table in ("PrivateRouteTable1", "PrivateRouteTable2"):
        (described,) = ec2.describe_route_tables(RouteTableIds=[deployed.physical["network"][table]])["RouteTables"]
        assert not [r for r in described["Routes"] if r.get("DestinationCidrBlock") == "0.0.0.0/0"], table


def test_tasks_run_in_the_public_subnets_with_public_ips(deployed: Deployed) -> None:
    ecs = deployed.client("ecs")
    public = set(deployed.outputs["network"]["PublicSubnetIds"].split(","))
    services = ecs.describe_services(cluster=PROJECT, services=["monolith", "like-worker", "adopt-worker"])["services"]
    assert len(services) == 3
    for service in services:
        awsvpc = service["networkConfiguration"]["awsvpcConfiguration"]
        assert awsvpc["assignPublicIp"] == "ENABLED", service["serviceName"]
        assert set(awsvpc["subnets"]) == public, service["serviceName"]


def test_security_groups_stay_closed_to_the_internet(deployed: Deployed) -> None:
    ec2 = deployed.client("ec2")
    ids = deployed.physical["services"]
    monolith, workers = (
        ec2.describe_security_groups(GroupIds=[ids[name]])["SecurityGroups"][0]
        for name in ("MonolithSecurityGroup", "WorkerSecurityGroup")
    )
    assert workers["IpPermissions"] == []
    for rule in monolith["IpPermissions"]:
        assert (rule["FromPort"], rule["ToPort"]) == (8080, 8080)
        assert not rule.get("IpRanges") and not rule.get("Ipv6Ranges") and not rule.get("PrefixListIds")
    sources = {pair["GroupId"] for rule in monolith["IpPermissions"] for pair in rule["UserIdGroupPairs"]}
    assert sources == {deployed.outputs["ingress"]["LoadBalancerSecurityGroupId"], ids["WorkerSecurityGroup"]}


@pytest.mark.parametrize(("service", "memory"), [("monolith", "1024"), ("like-worker", "512"), ("adopt-worker", "512")])
def test_workers_are_smaller(deployed: Deployed, service: str, memory: str) -> None:
    ecs = deployed.client("ecs")
    (described,) = ecs.describe_services(cluster=PROJECT, services=[service])["services"]
    definition = ecs.describe_task_definition(taskDefinition=described["taskDefinition"])["taskDefinition"]
    assert definition["memory"] == memory  # (moto drops a task's Cpu: test_stack_parameters_of_each_network checks it)
