"""The AWS templates deployed to a moto server, wired exactly as ``python -m deploy.aws`` wires them.

moto's CloudFormation creates the VPC, subnets, NAT gateways, endpoints, the load balancer, its
target group, listener and rules, the ECS cluster, task definitions and services, IAM roles, log
groups, security groups, the alarms key and topic. It skips (reporting CREATE_COMPLETE anyway)
Secrets Manager, Cloud Map, Application Auto Scaling, CloudWatch alarms, S3 bucket policies and
security-group egress rules, and it ignores an ECS service's load balancers, network, deployment
and Service Connect settings. What moto holds is checked against moto; the rest against the
template, in ``test_aws_templates.py``. The website stack (CloudFront) is not deployed here.
"""

from __future__ import annotations

import ast
import json
from typing import Any

import pytest

from deploy.aws import COMPONENTS, stack_name
from deploy.templates import load_template
from tests.infra.support import TEMPLATE_DIR, deploy_aws_stacks
from tests.infra.support import DeployedStacks as Deployed

PROJECT = "awsprod"
IMAGE_TAG = "0123456789abcdef0123456789abcdef01234567"
WEBSITE_URL = "https://d111111abcdef8.cloudfront.net"
DEPLOYED = tuple(component for component in COMPONENTS if component != "website")

#: Resource types of the deployed templates that moto's CloudFormation does not create (the embedded
#: emulator adds AWS::SNS::Subscription and AWS::SQS::QueuePolicy, which messaging.yaml needs).
MOTO_SKIPS = {
    "AWS::ApplicationAutoScaling::ScalableTarget",
    "AWS::ApplicationAutoScaling::ScalingPolicy",
    "AWS::CloudWatch::Alarm",
    "AWS::EC2::SecurityGroupEgress",
    "AWS::S3::BucketPolicy",
    "AWS::SecretsManager::Secret",
    "AWS::ServiceDiscovery::HttpNamespace",
}


@pytest.fixture(scope="module")
def deployed(emulator: str) -> Deployed:
    return deploy_aws_stacks(emulator, DEPLOYED, WEBSITE_URL, IMAGE_TAG, project=PROJECT)


def _template(component: str) -> dict[str, Any]:
    return load_template(TEMPLATE_DIR / f"{component}.yaml")


# ---------------------------------------------------------------------------- what moto skips
@pytest.mark.parametrize("component", DEPLOYED)
def test_every_resource_moto_can_create_is_created(deployed: Deployed, component: str) -> None:
    template = _template(component)
    missing = {
        logical_id: resource["Type"]
        for logical_id, resource in template["Resources"].items()
        if logical_id not in deployed.physical[component] and "Condition" not in resource
    }
    assert set(missing.values()) <= MOTO_SKIPS, missing


def test_every_stack_is_complete(deployed: Deployed) -> None:
    cfn = deployed.client("cloudformation")
    for component in DEPLOYED:
        status = cfn.describe_stacks(StackName=stack_name(PROJECT, component))["Stacks"][0]["StackStatus"]
        assert status == "CREATE_COMPLETE", component


# ---------------------------------------------------------------------------- network
def test_vpc_spans_two_azs_with_public_and_private_subnets(deployed: Deployed) -> None:
    ec2 = deployed.client("ec2")
    network = deployed.outputs["network"]
    public, private = network["PublicSubnetIds"].split(","), network["PrivateSubnetIds"].split(",")
    subnets = {s["SubnetId"]: s for s in ec2.describe_subnets(SubnetIds=public + private)["Subnets"]}
    assert {subnets[s]["VpcId"] for s in subnets} == {network["VpcId"]}
    assert len({subnets[s]["AvailabilityZone"] for s in public}) == 2
    assert len({subnets[s]["AvailabilityZone"] for s in private}) == 2
    assert not any(subnets[s]["MapPublicIpOnLaunch"] for s in subnets)


def _default_route(deployed: Deployed, route_table_logical_id: str) -> dict[str, Any]:
    ec2 = deployed.client("ec2")
    route_table = deployed.physical["network"][route_table_logical_id]
    (table,) = ec2.describe_route_tables(RouteTableIds=[route_table])["RouteTables"]
    (route,) = [r for r in table["Routes"] if r.get("DestinationCidrBlock") == "0.0.0.0/0"]
    return route


def test_private_subnets_reach_out_through_one_nat_gateway_per_az(deployed: Deployed) -> None:
    # (moto does not report the subnet associations; the template test checks them.)
    routes = [_default_route(deployed, f"PrivateRouteTable{n}") for n in (1, 2)]
    nat_gateways = {route["NatGatewayId"] for route in routes}
    assert nat_gateways == {deployed.physical["network"]["NatGateway1"], deployed.physical["network"]["NatGateway2"]}
    described = deployed.client("ec2").describe_nat_gateways(NatGatewayIds=sorted(nat_gateways))["NatGateways"]
    public = set(deployed.outputs["network"]["PublicSubnetIds"].split(","))
    assert {g["SubnetId"] for g in described} == public
    assert _default_route(deployed, "PublicRouteTable")["GatewayId"] == deployed.physical["network"]["InternetGateway"]


def test_dynamodb_gateway_endpoint_serves_the_private_subnets(deployed: Deployed) -> None:
    ec2 = deployed.client("ec2")
    endpoints = ec2.describe_vpc_endpoints(
        Filters=[{"Name": "vpc-id", "Values": [deployed.outputs["network"]["VpcId"]]}]
    )["VpcEndpoints"]
    dynamodb = [e for e in endpoints if e["ServiceName"] == "com.amazonaws.us-east-1.dynamodb"]
    assert len(dynamodb) == 1 and dynamodb[0]["VpcEndpointType"] == "Gateway"
    physical = deployed.physical["network"]
    tables = {physical["PrivateRouteTable1"], physical["PrivateRouteTable2"], physical["PublicRouteTable"]}
    assert set(dynamodb[0]["RouteTableIds"]) == tables  # the public one for tasks without NAT


def test_flow_logs_and_access_log_bucket(deployed: Deployed) -> None:
    ec2, s3 = deployed.client("ec2"), deployed.client("s3")
    bucket = deployed.outputs["network"]["AccessLogsBucketName"]
    flow_logs = ec2.describe_flow_logs(
        Filters=[{"Name": "resource-id", "Values": [deployed.outputs["network"]["VpcId"]]}]
    )["FlowLogs"]
    assert [(f["TrafficType"], f["LogDestination"]) for f in flow_logs] == [("ALL", f"arn:aws:s3:::{bucket}")]
    # (moto ignores the bucket's public access block and lifecycle: the template test checks them.)
    s3.head_bucket(Bucket=bucket)


# ---------------------------------------------------------------------------- data and messaging
def test_queues_have_their_dead_letter_queues(deployed: Deployed) -> None:
    sqs, messaging = deployed.client("sqs"), deployed.outputs["messaging"]
    for queue, dlq in (("LikeQueue", "LikeDeadLetterQueue"), ("AdoptionQueue", "AdoptionDeadLetterQueue")):
        attributes = sqs.get_queue_attributes(QueueUrl=messaging[f"{queue}Url"], AttributeNames=["All"])["Attributes"]
        redrive = json.loads(attributes["RedrivePolicy"])
        assert redrive["deadLetterTargetArn"] == messaging[f"{dlq}Arn"]
        assert int(redrive["maxReceiveCount"]) == 5


def test_table_and_indexes(deployed: Deployed) -> None:
    table = deployed.client("dynamodb").describe_table(TableName=deployed.outputs["data"]["MysfitsTableName"])["Table"]
    assert {g["IndexName"] for g in table["GlobalSecondaryIndexes"]} == {"GoodEvilIndex", "LawChaosIndex"}


# ---------------------------------------------------------------------------- load balancer
def test_target_group_checks_health_on_slash_health(deployed: Deployed) -> None:
    elbv2 = deployed.client("elbv2")
    (group,) = elbv2.describe_target_groups(TargetGroupArns=[deployed.outputs["ingress"]["MonolithTargetGroupArn"]])[
        "TargetGroups"
    ]
    assert (group["TargetType"], group["Protocol"], group["Port"]) == ("ip", "HTTP", 8080)
    assert (group["HealthCheckPath"], group["Matcher"]["HttpCode"]) == ("/health", "200")
    assert group["LoadBalancerArns"] == [deployed.outputs["ingress"]["LoadBalancerArn"]]
    # (moto ignores TargetGroupAttributes such as the deregistration delay: the template test checks them.)


def test_listener_forwards_only_cloudfront_requests_and_refuses_fulfil_paths(deployed: Deployed) -> None:
    elbv2 = deployed.client("elbv2")
    ingress = deployed.outputs["ingress"]
    (listener,) = elbv2.describe_listeners(LoadBalancerArn=ingress["LoadBalancerArn"])["Listeners"]
    assert (listener["Protocol"], listener["Port"]) == ("HTTP", 80)  # no certificate given
    (default,) = listener["DefaultActions"]
    assert (default["Type"], default["FixedResponseConfig"]["StatusCode"]) == ("fixed-response", "403")
    rules = {r["Priority"]: r for r in elbv2.describe_rules(ListenerArn=listener["ListenerArn"])["Rules"]}
    assert set(rules) == {"1", "10", "default"}
    deny = rules["1"]
    assert deny["Conditions"] == [{"Field": "path-pattern", "PathPatternConfig": {"Values": ["/mysfits/*/fulfill-*"]}}]
    (action,) = deny["Actions"]
    assert action["Type"] == "fixed-response"
    assert action["FixedResponseConfig"]["StatusCode"] == "403"
    assert json.loads(action["FixedResponseConfig"]["MessageBody"])["error"]["code"] == "forbidden"
    # What CloudFront adds (website.yaml), the value a dynamic reference that AWS resolves and moto keeps
    (header,) = rules["10"]["Conditions"]
    assert header["Field"] == "http-header"
    assert header["HttpHeaderConfig"]["HttpHeaderName"] == "X-Origin-Verify"
    (value,) = header["HttpHeaderConfig"]["Values"]
    assert value.startswith("{{resolve:secretsmanager:") and value.endswith(":SecretString}}")
    assert rules["10"]["Actions"] == [{"Type": "forward", "TargetGroupArn": ingress["MonolithTargetGroupArn"]}]


def test_load_balancer_admits_cloudfront_only(deployed: Deployed) -> None:
    ec2 = deployed.client("ec2")
    (group,) = ec2.describe_security_groups(GroupIds=[deployed.outputs["ingress"]["LoadBalancerSecurityGroupId"]])[
        "SecurityGroups"
    ]
    (rule,) = group["IpPermissions"]
    assert (rule["IpProtocol"], rule["FromPort"], rule["ToPort"]) == ("tcp", 80, 80)
    assert rule["PrefixListIds"] == [{"PrefixListId": deployed.prefix_list}]
    assert rule.get("IpRanges", []) == [] and rule.get("Ipv6Ranges", []) == []
    (prefix_list,) = ec2.describe_managed_prefix_lists(PrefixListIds=[deployed.prefix_list])["PrefixLists"]
    assert prefix_list["PrefixListName"] == "com.amazonaws.global.cloudfront.origin-facing"


def test_load_balancer_is_internal_in_the_private_subnets(deployed: Deployed) -> None:
    # a new deployment: CloudFront reaches it through a VPC origin (test_vpc_origin.py)
    elbv2 = deployed.client("elbv2")
    (lb,) = elbv2.describe_load_balancers(LoadBalancerArns=[deployed.outputs["ingress"]["LoadBalancerArn"]])[
        "LoadBalancers"
    ]
    assert lb["Scheme"] == "internal"
    assert {z["SubnetId"] for z in lb["AvailabilityZones"]} == set(
        deployed.outputs["network"]["PrivateSubnetIds"].split(",")
    )
    assert lb["SecurityGroups"] == [deployed.outputs["ingress"]["LoadBalancerSecurityGroupId"]]
    # (moto ignores LoadBalancerAttributes, access logs included: the template test checks them.)


# ---------------------------------------------------------------------------- ECS
def _task_definition(deployed: Deployed, service: str) -> dict[str, Any]:
    ecs = deployed.client("ecs")
    (described,) = ecs.describe_services(cluster=PROJECT, services=[service])["services"]
    definition: dict[str, Any] = ecs.describe_task_definition(taskDefinition=described["taskDefinition"])[
        "taskDefinition"
    ]
    return definition


def test_tasks_run_in_the_private_subnets_without_public_ips(deployed: Deployed) -> None:
    private = set(deployed.outputs["network"]["PrivateSubnetIds"].split(","))
    services = ["monolith", "like-worker", "adopt-worker"]
    for service in deployed.client("ecs").describe_services(cluster=PROJECT, services=services)["services"]:
        awsvpc = service["networkConfiguration"]["awsvpcConfiguration"]
        assert (awsvpc["assignPublicIp"], set(awsvpc["subnets"])) == ("DISABLED", private), service["serviceName"]


def test_cluster_runs_the_three_services(deployed: Deployed) -> None:
    ecs = deployed.client("ecs")
    assert deployed.outputs["services"]["ClusterName"] == PROJECT
    arns = ecs.list_services(cluster=PROJECT)["serviceArns"]
    assert sorted(arn.rsplit("/", 1)[1] for arn in arns) == ["adopt-worker", "like-worker", "monolith"]


@pytest.mark.parametrize(
    ("service", "repository", "stop_timeout"),
    [("monolith", "monolith", 30), ("like-worker", "like-worker", 90), ("adopt-worker", "adopt-worker", 90)],
)
def test_task_definitions(deployed: Deployed, service: str, repository: str, stop_timeout: int) -> None:
    definition = _task_definition(deployed, service)
    assert definition["family"] == f"{PROJECT}-{service}"
    (container,) = definition["containerDefinitions"]
    assert container["image"] == f"{deployed.outputs['registry'][_repository_output(repository)]}:{IMAGE_TAG}"
    assert container["stopTimeout"] == stop_timeout
    assert container["readonlyRootFilesystem"] is True
    assert container["mountPoints"] == [{"sourceVolume": "tmp", "containerPath": "/tmp"}]
    assert container["healthCheck"]["command"][:4] == ["CMD", "python", "-m", "mysfits_common.healthcheck"]
    logs = container["logConfiguration"]
    assert logs["logDriver"] == "awslogs"
    group = logs["options"]["awslogs-group"]
    assert group == f"/ecs/{PROJECT}/{service}"
    described = deployed.client("logs").describe_log_groups(logGroupNamePrefix=group)["logGroups"]
    assert [(g["logGroupName"], g.get("retentionInDays")) for g in described] == [(group, 30)]
    # moto drops valueFrom (a Ref to the secret it cannot create); the template test checks it.
    assert [s["name"] for s in container["secrets"]] == ["FULFIL_SECRET"]
    assert "FULFIL_SECRET" not in {e["name"] for e in container["environment"]}


def _repository_output(repository: str) -> str:
    return "".join(part.capitalize() for part in repository.split("-")) + "RepositoryUri"


def test_monolith_environment_points_at_the_stacks(deployed: Deployed) -> None:
    environment = {
        e["name"]: e["value"] for e in _task_definition(deployed, "monolith")["containerDefinitions"][0]["environment"]
    }
    data, messaging = deployed.outputs["data"], deployed.outputs["messaging"]
    assert environment["MYSFITS_TABLE"] == data["MysfitsTableName"]
    assert environment["PROCESSED_EVENTS_TABLE"] == data["ProcessedEventsTableName"]
    assert environment["EVENTS_TOPIC_ARN"] == messaging["EventsTopicArn"]
    assert environment["CORS_ALLOWED_ORIGINS"] == WEBSITE_URL
    assert (environment["PORT"], environment["LIKE_MODE"], environment["ADOPT_MODE"]) == ("8080", "queue", "queue")


@pytest.mark.parametrize(("service", "queue"), [("like-worker", "LikeQueueUrl"), ("adopt-worker", "AdoptionQueueUrl")])
def test_worker_environment(deployed: Deployed, service: str, queue: str) -> None:
    container = _task_definition(deployed, service)["containerDefinitions"][0]
    environment = {e["name"]: e["value"] for e in container["environment"]}
    assert environment["QUEUE_URL"] == deployed.outputs["messaging"][queue]
    assert environment["MONOLITH_URL"] == "http://monolith:8081"  # Service Connect's alias of the internal port
    assert environment["WORKER_HEALTH_FILE"] == "/tmp/worker-health"
    assert environment["WORKER_WAIT_SECONDS"] == "20"


def test_security_groups(deployed: Deployed) -> None:
    ec2 = deployed.client("ec2")
    ids = deployed.physical["services"]
    groups = {
        g["GroupId"]: g
        for g in ec2.describe_security_groups(GroupIds=[ids["MonolithSecurityGroup"], ids["WorkerSecurityGroup"]])[
            "SecurityGroups"
        ]
    }
    monolith = groups[ids["MonolithSecurityGroup"]]
    sources = {
        (rule.get("FromPort"), pair["GroupId"])
        for rule in monolith["IpPermissions"]
        for pair in rule.get("UserIdGroupPairs", [])
    }
    # the load balancer reaches the public port only, the workers the internal one (fulfil) only
    load_balancer = deployed.outputs["ingress"]["LoadBalancerSecurityGroupId"]
    assert sources == {(8080, load_balancer), (8081, ids["WorkerSecurityGroup"])}
    assert not any(r.get("IpRanges") for r in monolith["IpPermissions"])  # nothing from the internet
    assert groups[ids["WorkerSecurityGroup"]]["IpPermissions"] == []


# ---------------------------------------------------------------------------- IAM
def _policies(deployed: Deployed, role_logical_id: str) -> list[dict[str, Any]]:
    iam = deployed.client("iam")
    role = deployed.physical["services"][role_logical_id]
    statements: list[dict[str, Any]] = []
    for name in iam.list_role_policies(RoleName=role)["PolicyNames"]:
        document = iam.get_role_policy(RoleName=role, PolicyName=name)["PolicyDocument"]
        if isinstance(document, str):  # moto keeps a CloudFormation policy as the repr of a dict
            document = ast.literal_eval(document)
        statements.extend(document["Statement"])
    assert iam.list_attached_role_policies(RoleName=role)["AttachedPolicies"] == []
    return statements


def _as_list(value: Any) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


def _grants(statements: list[dict[str, Any]]) -> dict[str, set[str]]:
    """action -> resources, for the Allow statements."""
    grants: dict[str, set[str]] = {}
    for statement in statements:
        assert statement["Effect"] == "Allow"
        for action in _as_list(statement["Action"]):
            grants.setdefault(action, set()).update(_as_list(statement.get("Resource", [])))
    return grants


@pytest.mark.parametrize("role", ["TaskExecutionRole", "MonolithTaskRole", "LikeWorkerTaskRole", "AdoptWorkerTaskRole"])
def test_no_wildcard_actions_and_no_wildcard_resources_where_narrower_exists(deployed: Deployed, role: str) -> None:
    grants = _grants(_policies(deployed, role))
    for action, resources in grants.items():
        assert "*" not in action, action
        if action == "ecr:GetAuthorizationToken":  # has no resource-level permissions
            assert resources == {"*"}
        else:
            assert not any("*" in resource for resource in resources), (action, resources)


@pytest.mark.parametrize(
    ("role", "own", "other"),
    [
        ("LikeWorkerTaskRole", "LikeQueueArn", "AdoptionQueueArn"),
        ("AdoptWorkerTaskRole", "AdoptionQueueArn", "LikeQueueArn"),
    ],
)
def test_each_worker_consumes_only_its_own_queue(deployed: Deployed, role: str, own: str, other: str) -> None:
    queue = deployed.outputs["messaging"][own]
    assert _grants(_policies(deployed, role)) == {
        action: {queue}
        for action in (
            "sqs:ChangeMessageVisibility",
            "sqs:DeleteMessage",
            "sqs:ReceiveMessage",
        )
    }
    assert deployed.outputs["messaging"][other] != queue


def test_monolith_reaches_its_tables_indexes_and_topic_only(deployed: Deployed) -> None:
    table = deployed.outputs["data"]["MysfitsTableArn"]
    markers = deployed.outputs["data"]["ProcessedEventsTableArn"]
    topic = deployed.outputs["messaging"]["EventsTopicArn"]
    assert _grants(_policies(deployed, "MonolithTaskRole")) == {
        "dynamodb:BatchGetItem": {table},  # a filter's mysfits, whose keys its index holds
        "dynamodb:DescribeTable": {table},
        "dynamodb:GetItem": {table, markers},
        "dynamodb:Scan": {table},
        "dynamodb:UpdateItem": {table},
        "dynamodb:PutItem": {markers},
        "dynamodb:Query": {f"{table}/index/GoodEvilIndex", f"{table}/index/LawChaosIndex"},
        "sns:GetTopicAttributes": {topic},
        "sns:Publish": {topic},
        "ssm:GetParameter": {  # the switch's two parameters, in the topic's account and region
            topic.rsplit(":", 1)[0].replace(":sns:", ":ssm:") + f":parameter{deployed.outputs['messaging'][name]}"
            for name in ("LikeModeParameterName", "AdoptModeParameterName")
        },
    }


def test_execution_role_pulls_the_three_images_and_writes_the_three_log_groups(deployed: Deployed) -> None:
    grants = _grants(_policies(deployed, "TaskExecutionRole"))
    registry = deployed.outputs["registry"]
    repositories = {registry[key] for key in registry if key.endswith("RepositoryArn")}
    assert len(repositories) == 3
    for action in ("ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"):
        assert grants[action] == repositories
    groups = {g.removesuffix(":*").rsplit(":", 1)[1] for g in grants["logs:PutLogEvents"]}
    assert groups == {f"/ecs/{PROJECT}/{s}" for s in ("monolith", "like-worker", "adopt-worker")}
    assert grants["logs:CreateLogStream"] == grants["logs:PutLogEvents"]
    # The secret's ARN is a Ref to a resource moto skips: present in the template, empty here.
    assert grants["secretsmanager:GetSecretValue"] == set()


# ---------------------------------------------------------------------------- alarms
def test_alarms_topic_is_encrypted_with_its_own_key(deployed: Deployed) -> None:
    topic = deployed.outputs["alarms"]["AlarmsTopicArn"]
    attributes = deployed.client("sns").get_topic_attributes(TopicArn=topic)["Attributes"]
    key_id = deployed.physical["alarms"]["AlarmsKey"]
    assert attributes["KmsMasterKeyId"] == key_id
    assert key_id in {k["KeyId"] for k in deployed.client("kms").list_keys()["Keys"]}
    # (moto stores a CloudFormation key policy in a form its own DescribeKey cannot read: the
    # template test checks the policy that lets CloudWatch use the key.)
