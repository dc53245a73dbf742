"""The cheapest network (``deploy --no-nat --small-workers``), deployed to the embedded emulator
the way ``python -m deploy.aws`` deploys it: no NAT gateway, the tasks in the public subnets with
public IPs, their security groups still closed to the internet, the workers at 0.25 vCPU / 0.5 GiB."""

from __future__ import annotations

import pytest

from tests.infra.support import DeployedStacks as Deployed
from tests.infra.support import deploy_aws_stacks

PROJECT = "nonat"
COMPONENTS = ("registry", "network", "data", "messaging", "ingress", "services")


@pytest.fixture(scope="module")
def deployed(emulator: str) -> Deployed:
    return deploy_aws_stacks(
        emulator, COMPONENTS, "https://d1.cloudfront.net", "0123abc", project=PROJECT, nat="none", small_workers=True
    )


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
        assert not rule.get("IpRanges") and not rule.get("Ipv6Ranges") and not rule.get("PrefixListIds")
    sources = {
        (rule["FromPort"], rule["ToPort"], pair["GroupId"])
        for rule in monolith["IpPermissions"]
        for pair in rule["UserIdGroupPairs"]
    }
    # the load balancer the public port, the workers the internal one (fulfil): neither the other's
    load_balancer = deployed.outputs["ingress"]["LoadBalancerSecurityGroupId"]
    assert sources == {(8080, 8080, load_balancer), (8081, 8081, ids["WorkerSecurityGroup"])}


@pytest.mark.parametrize(("service", "memory"), [("monolith", "1024"), ("like-worker", "512"), ("adopt-worker", "512")])
def test_workers_are_smaller(deployed: Deployed, service: str, memory: str) -> None:
    ecs = deployed.client("ecs")
    (described,) = ecs.describe_services(cluster=PROJECT, services=[service])["services"]
    definition = ecs.describe_task_definition(taskDefinition=described["taskDefinition"])["taskDefinition"]
    assert definition["memory"] == memory  # (moto drops a task's Cpu: test_stack_parameters_of_each_network checks it)
