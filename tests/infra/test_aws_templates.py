"""The AWS templates read as a reviewer reads them: what moto cannot deploy or ignores is checked
here, on the template (Secrets Manager, Cloud Map, autoscaling, alarms, CloudFront, bucket policies,
load-balancer and target-group attributes, ECS service settings); checkov runs on all of them."""

from __future__ import annotations

import fnmatch
import functools
import json
import os
import re
import subprocess
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest

from deploy.aws import COMPONENTS, DeployOptions, stack_parameters
from deploy.stacks import check_parameters
from deploy.templates import MAX_TEMPLATE_BODY_BYTES, load_template
from mysfits_common.metrics import COUNTS, BatchCounts, emf_record
from mysfits_common.outcomes import Outcome
from tests.infra.support import REPO_ROOT, TEMPLATE_DIR

CHECKOV = REPO_ROOT / ".venv-checkov" / "bin" / "checkov"
DOCKERFILES = [REPO_ROOT / "Dockerfile"]


@functools.cache
def _template(component: str) -> dict[str, Any]:
    return load_template(TEMPLATE_DIR / f"{component}.yaml")


def _resources(component: str, kind: str) -> dict[str, dict[str, Any]]:
    return {name: res for name, res in _template(component)["Resources"].items() if res["Type"] == kind}


def _walk(value: Any) -> Iterator[Any]:
    yield value
    if isinstance(value, dict):
        for item in value.values():
            yield from _walk(item)
    elif isinstance(value, list):
        for item in value:
            yield from _walk(item)


def _import(stack_parameter: str, export: str) -> dict[str, Any]:
    return {"Fn::ImportValue": {"Fn::Sub": f"${{{stack_parameter}}}-{export}"}}


# ---------------------------------------------------------------------------- every template
def test_the_deploy_command_deploys_every_template() -> None:
    assert {path.stem for path in TEMPLATE_DIR.glob("*.yaml")} == set(COMPONENTS)


@pytest.mark.parametrize("component", COMPONENTS)
def test_template_fits_in_a_template_body(component: str) -> None:
    assert (TEMPLATE_DIR / f"{component}.yaml").stat().st_size < MAX_TEMPLATE_BODY_BYTES


@pytest.mark.parametrize("component", COMPONENTS)
def test_every_import_names_an_export_of_the_stack_it_points_at(component: str) -> None:
    template = _template(component)
    for node in _walk(template):
        if not (isinstance(node, dict) and "Fn::ImportValue" in node):
            continue
        match = re.fullmatch(r"\$\{(\w+)Stack\}-(\w+)", node["Fn::ImportValue"]["Fn::Sub"])
        assert match, node
        producer_parameter, output = f"{match.group(1)}Stack", match.group(2)
        producer = template["Parameters"][producer_parameter]["Default"].removeprefix("mysfits-")
        outputs = _template(producer)["Outputs"]
        assert output in outputs, f"{component} imports {output} from {producer}, which has no such output"
        assert outputs[output]["Export"]["Name"] == {"Fn::Sub": f"${{AWS::StackName}}-{output}"}


@pytest.mark.parametrize("component", COMPONENTS)
def test_the_deploy_command_passes_valid_parameters(component: str) -> None:
    options = DeployOptions(project="prod", alarm_email="oncall@example.com", cloudfront_prefix_list_id="pl-3b927c52")
    outputs = {
        "ingress": {
            "OriginDomainName": "alb-1.eu-west-1.elb.amazonaws.com",
            "OriginProtocolPolicy": "http-only",
            "LoadBalancerScheme": "internal",
        "LoadBalancerArn": "arn:aws:elasticloadbalancing:eu-west-1:111122223333:loadbalancer/app/unit/0123456789abcdef",
        },
        "website": {"WebsiteUrl": "https://d1.cloudfront.net"},
    }
    parameters = stack_parameters(component, options, "0123abc", outputs)
    assert check_parameters(_template(component), parameters) == []
    for name, value in parameters.items():
        if name.endswith("Stack"):
            assert value == f"prod-{name.removesuffix('Stack').lower()}"


@pytest.mark.parametrize("component", COMPONENTS)
def test_every_checkov_skip_gives_a_reason(component: str) -> None:
    for name, resource in _template(component)["Resources"].items():
        for skip in resource.get("Metadata", {}).get("checkov", {}).get("skip", []):
            assert re.fullmatch(r"CKV2?_[A-Z]+_\d+", skip["id"]), (name, skip)
            assert len(skip.get("comment", "")) > 20, (name, skip)


@pytest.mark.parametrize("component", ["services", "network", "ingress", "registry", "website"])
def test_tagged_resources_carry_the_project_tag(component: str) -> None:
    project_tag = {"Key": "project", "Value": {"Ref": "ProjectName"}}
    for name, resource in _template(component)["Resources"].items():
        tags = resource.get("Properties", {}).get("Tags")
        if tags is not None:
            assert project_tag in tags, name


# ---------------------------------------------------------------------------- checkov
@pytest.fixture(scope="module")
def checkov_reports() -> list[dict[str, Any]]:
    """checkov over the templates and over the Dockerfile, both runs at once (start-up is most of
    their time)."""
    if not CHECKOV.exists():
        if os.environ.get("CI"):
            pytest.fail(f"{CHECKOV} is missing: `make test` builds it from requirements-checkov.txt")
        pytest.skip("checkov's own virtualenv (.venv-checkov) is not built: run `make .venv-checkov/.installed`")
    common = [str(CHECKOV), "--skip-download", "--quiet", "--compact", "--output", "json"]
    runs = [
        [*common, "--framework", "cloudformation", "--directory", str(TEMPLATE_DIR)],
        [
            *common,
            "--framework",
            "dockerfile",
            *(argument for path in DOCKERFILES for argument in ("--file", str(path))),
        ],
    ]
    processes = [
        subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=REPO_ROOT)
        for command in runs
    ]
    reports: list[dict[str, Any]] = []
    for process in processes:
        stdout, stderr = process.communicate(timeout=300)
        assert stdout.strip(), stderr
        parsed = json.loads(stdout)
        reports.extend(parsed if isinstance(parsed, list) else [parsed])
    return reports


def _report(reports: list[dict[str, Any]], check_type: str) -> dict[str, Any]:
    (report,) = [r for r in reports if r.get("check_type") == check_type]
    return report


def _failures(report: dict[str, Any]) -> list[str]:
    return [
        f"{check['check_id']} {check['resource']} ({check['file_path']}): {check['check_name']}"
        for check in report.get("results", {}).get("failed_checks", [])
    ]


@pytest.mark.slow
def test_checkov_passes_on_the_templates(checkov_reports: list[dict[str, Any]]) -> None:
    report = _report(checkov_reports, "cloudformation")
    assert _failures(report) == []
    assert report["summary"]["passed"] > 50
    assert report["summary"]["parsing_errors"] == 0


def test_checkov_passes_on_the_dockerfile(checkov_reports: list[dict[str, Any]]) -> None:
    report = _report(checkov_reports, "dockerfile")
    assert _failures(report) == []
    assert report["summary"]["resource_count"] == len(DOCKERFILES)


# ---------------------------------------------------------------------------- network
def test_network_spans_two_availability_zones() -> None:
    subnets = _resources("network", "AWS::EC2::Subnet")
    zones = {name: res["Properties"]["AvailabilityZone"] for name, res in subnets.items()}
    assert zones == {
        "PublicSubnet1": {"Fn::Select": [0, {"Fn::GetAZs": ""}]},
        "PublicSubnet2": {"Fn::Select": [1, {"Fn::GetAZs": ""}]},
        "PrivateSubnet1": {"Fn::Select": [0, {"Fn::GetAZs": ""}]},
        "PrivateSubnet2": {"Fn::Select": [1, {"Fn::GetAZs": ""}]},
    }
    associations = {
        res["Properties"]["SubnetId"]["Ref"]: res["Properties"]["RouteTableId"]["Ref"]
        for res in _resources("network", "AWS::EC2::SubnetRouteTableAssociation").values()
    }
    assert associations == {
        "PublicSubnet1": "PublicRouteTable",
        "PublicSubnet2": "PublicRouteTable",
        "PrivateSubnet1": "PrivateRouteTable1",
        "PrivateSubnet2": "PrivateRouteTable2",
    }


def test_access_logs_bucket_is_private_and_expires_logs() -> None:
    props = _resources("network", "AWS::S3::Bucket")["AccessLogsBucket"]["Properties"]
    assert all(props["PublicAccessBlockConfiguration"].values())
    assert props["LifecycleConfiguration"]["Rules"][0]["ExpirationInDays"] == {"Ref": "AccessLogRetentionDays"}
    statements = _resources("network", "AWS::S3::BucketPolicy")["AccessLogsBucketPolicy"]["Properties"][
        "PolicyDocument"
    ]
    assert [s["Sid"] for s in statements["Statement"]][-1] == "DenyInsecureTransport"


# ---------------------------------------------------------------------------- ingress
def test_load_balancer_attributes_and_target_group_draining() -> None:
    lb = _resources("ingress", "AWS::ElasticLoadBalancingV2::LoadBalancer")["LoadBalancer"]["Properties"]
    attributes = {a["Key"]: a["Value"] for a in lb["LoadBalancerAttributes"]}
    assert attributes["access_logs.s3.enabled"] == "true"
    assert attributes["access_logs.s3.bucket"] == _import("NetworkStack", "AccessLogsBucketName")
    assert attributes["routing.http.drop_invalid_header_fields.enabled"] == "true"
    group = _resources("ingress", "AWS::ElasticLoadBalancingV2::TargetGroup")["MonolithTargetGroup"]["Properties"]
    drain = {a["Key"]: a["Value"] for a in group["TargetGroupAttributes"]}["deregistration_delay.timeout_seconds"]
    assert drain == {"Ref": "DeregistrationDelaySeconds"}
    assert _template("ingress")["Parameters"]["DeregistrationDelaySeconds"]["Default"] == 30


def test_https_with_a_certificate_and_the_fulfil_rule_on_the_forwarding_listener() -> None:
    listeners = _resources("ingress", "AWS::ElasticLoadBalancingV2::Listener")
    https = listeners["HttpsListener"]
    assert https["Condition"] == "UseHttps"
    assert https["Properties"]["SslPolicy"].startswith("ELBSecurityPolicy-TLS13")
    http_action = listeners["HttpListener"]["Properties"]["DefaultActions"][0]["Fn::If"]
    assert http_action[0] == "UseHttps" and http_action[1]["Type"] == "redirect"
    rule = _resources("ingress", "AWS::ElasticLoadBalancingV2::ListenerRule")["FulfilEndpointsDenyRule"]["Properties"]
    assert rule["ListenerArn"] == {"Fn::If": ["UseHttps", {"Ref": "HttpsListener"}, {"Ref": "HttpListener"}]}


def test_load_balancer_answers_cloudfront_only() -> None:
    # Network: CloudFront's origin-facing prefix list, on the one port CloudFront uses.
    group = _resources("ingress", "AWS::EC2::SecurityGroup")["LoadBalancerSecurityGroup"]["Properties"]
    (ingress,) = group["SecurityGroupIngress"]
    port = {"Fn::If": ["UseHttps", 443, 80]}
    assert (ingress["FromPort"], ingress["ToPort"]) == (port, port)
    assert ingress["SourcePrefixListId"] == {"Ref": "CloudFrontPrefixListId"}
    assert not _resources("ingress", "AWS::EC2::SecurityGroupIngress")
    # Requests: only this distribution's, by the header its origin adds; everything else is 403.
    listeners = _resources("ingress", "AWS::ElasticLoadBalancingV2::Listener")
    assert listeners["HttpListener"]["Properties"]["DefaultActions"][0]["Fn::If"][2]["Type"] == "fixed-response"
    assert listeners["HttpsListener"]["Properties"]["DefaultActions"][0]["Type"] == "fixed-response"
    rule = _resources("ingress", "AWS::ElasticLoadBalancingV2::ListenerRule")["FromCloudFrontRule"]["Properties"]
    assert rule["ListenerArn"] == {"Fn::If": ["UseHttps", {"Ref": "HttpsListener"}, {"Ref": "HttpListener"}]}
    assert rule["Actions"] == [{"Type": "forward", "TargetGroupArn": {"Ref": "MonolithTargetGroup"}}]
    (header,) = rule["Conditions"]
    assert header["HttpHeaderConfig"]["Values"] == [
        {"Fn::Sub": "{{resolve:secretsmanager:${OriginVerifySecret}:SecretString}}"}
    ]
    config = _resources("website", "AWS::CloudFront::Distribution")["Distribution"]["Properties"]["DistributionConfig"]
    (api,) = [origin for origin in config["Origins"] if origin["Id"] == "api"]
    assert api["OriginCustomHeaders"] == [
        {
            "HeaderName": header["HttpHeaderConfig"]["HttpHeaderName"],
            "HeaderValue": {
                "Fn::Sub": [
                    "{{resolve:secretsmanager:${SecretArn}:SecretString}}",
                    {"SecretArn": _import("IngressStack", "OriginVerifySecretArn")},
                ]
            },
        }
    ]
    assert _template("ingress")["Outputs"]["OriginVerifySecretArn"]["Value"] == {"Ref": "OriginVerifySecret"}


# ---------------------------------------------------------------------------- services
SERVICES = {"MonolithService": "monolith", "LikeWorkerService": "like-worker", "AdoptWorkerService": "adopt-worker"}


def _container(task_definition: str) -> dict[str, Any]:
    resource = _resources("services", "AWS::ECS::TaskDefinition")[task_definition]
    (container,) = resource["Properties"]["ContainerDefinitions"]
    return dict(container)


def test_secret_is_generated_and_injected_into_every_container() -> None:
    secret = _resources("services", "AWS::SecretsManager::Secret")["FulfilSecret"]["Properties"]
    assert "GenerateSecretString" in secret and "SecretString" not in secret
    for task_definition in _resources("services", "AWS::ECS::TaskDefinition"):
        container = _container(task_definition)
        assert container["Secrets"] == [{"Name": "FULFIL_SECRET", "ValueFrom": {"Ref": "FulfilSecret"}}]
        assert "FULFIL_SECRET" not in {e["Name"] for e in container["Environment"]}
    role = _resources("services", "AWS::IAM::Role")["TaskExecutionRole"]["Properties"]
    statements = {s["Sid"]: s for s in role["Policies"][0]["PolicyDocument"]["Statement"]}
    assert statements["ReadFulfilSecret"]["Resource"] == {"Ref": "FulfilSecret"}
    assert statements["ReadFulfilSecret"]["Action"] == "secretsmanager:GetSecretValue"


def test_task_definitions_are_fargate_with_their_own_task_roles() -> None:
    roles = set()
    for resource in _resources("services", "AWS::ECS::TaskDefinition").values():
        props = resource["Properties"]
        assert props["RequiresCompatibilities"] == ["FARGATE"] and props["NetworkMode"] == "awsvpc"
        assert props["ExecutionRoleArn"] == {"Fn::GetAtt": ["TaskExecutionRole", "Arn"]}
        roles.add(props["TaskRoleArn"]["Fn::GetAtt"][0])
    assert roles == {"MonolithTaskRole", "LikeWorkerTaskRole", "AdoptWorkerTaskRole"}


def test_every_container_runs_as_the_images_non_root_user() -> None:
    # Security Hub ECS.20: the task definition says so, whatever the image's USER (the Dockerfile's).
    users = set(re.findall(r"^USER (\S+)$", (REPO_ROOT / "Dockerfile").read_text(encoding="utf-8"), re.MULTILINE))
    assert users == {"10001:10001"}
    for task_definition in _resources("services", "AWS::ECS::TaskDefinition"):
        assert _container(task_definition).get("User") == "10001:10001", task_definition


@pytest.mark.parametrize("role", ["LikeWorkerTaskRole", "AdoptWorkerTaskRole"])
def test_workers_are_granted_only_the_queue_actions_they_call(role: str) -> None:
    # mysfits_common/polls.py receives, leases.py deletes and changes visibility: no queue attribute is read.
    (policy,) = _resources("services", "AWS::IAM::Role")[role]["Properties"]["Policies"]
    (statement,) = policy["PolicyDocument"]["Statement"]
    assert statement["Action"] == ["sqs:ChangeMessageVisibility", "sqs:DeleteMessage", "sqs:ReceiveMessage"]


def test_stop_timeouts_fit_the_drain() -> None:
    assert _container("MonolithTaskDefinition")["StopTimeout"] >= 20 + 5  # gunicorn's graceful timeout
    for worker in ("LikeWorkerTaskDefinition", "AdoptWorkerTaskDefinition"):
        assert 60 <= _container(worker)["StopTimeout"] <= 120  # 20 s long poll + the in-flight batch


def test_services_deploy_safely_in_private_subnets() -> None:
    services = _resources("services", "AWS::ECS::Service")
    assert set(services) == set(SERVICES)
    for name, resource in services.items():
        props = resource["Properties"]
        assert props["ServiceName"] == SERVICES[name]
        assert props["LaunchType"] == "FARGATE"
        assert "DesiredCount" not in props  # autoscaling owns it
        deployment = props["DeploymentConfiguration"]
        assert deployment["DeploymentCircuitBreaker"] == {"Enable": True, "Rollback": True}
        assert deployment["MinimumHealthyPercent"] == 100
        # Private subnets unless the network has no NAT (TaskSubnets=public, test_no_nat_deploy.py).
        network = props["NetworkConfiguration"]["AwsvpcConfiguration"]
        assert network["AssignPublicIp"] == {"Fn::If": ["PublicTasks", "ENABLED", "DISABLED"]}
        assert network["Subnets"] == {
            "Fn::If": [
                "PublicTasks",
                {"Fn::Split": [",", _import("NetworkStack", "PublicSubnetIds")]},
                {"Fn::Split": [",", _import("NetworkStack", "PrivateSubnetIds")]},
            ]
        }
    assert _template("services")["Parameters"]["TaskSubnets"]["Default"] == "private"


def test_monolith_is_behind_the_load_balancer_and_on_service_connect() -> None:
    services = _resources("services", "AWS::ECS::Service")
    namespace = _resources("services", "AWS::ServiceDiscovery::HttpNamespace")["ServiceConnectNamespace"]
    monolith = services["MonolithService"]["Properties"]
    assert monolith["LoadBalancers"] == [
        {
            "ContainerName": _container("MonolithTaskDefinition")["Name"],
            "ContainerPort": {"Ref": "ContainerPort"},
            "TargetGroupArn": _import("IngressStack", "MonolithTargetGroupArn"),
        }
    ]
    ports = {m["Name"]: m["ContainerPort"] for m in _container("MonolithTaskDefinition")["PortMappings"]}
    assert ports == {"http": {"Ref": "ContainerPort"}, "internal": {"Ref": "InternalPort"}}
    # Service Connect publishes the internal port alone; the load balancer has the public one.
    (published,) = monolith["ServiceConnectConfiguration"]["Services"]
    assert published["PortName"] == "internal"
    assert published["ClientAliases"] == [{"DnsName": "monolith", "Port": {"Ref": "InternalPort"}}]
    environment = {e["Name"]: e["Value"] for e in _container("MonolithTaskDefinition")["Environment"]}
    assert (environment["PORT"], environment["INTERNAL_PORT"]) == ({"Ref": "ContainerPort"}, {"Ref": "InternalPort"})
    assert namespace["Properties"]["Name"] == {"Fn::Sub": "${ProjectName}.internal"}
    for resource in services.values():
        connect = resource["Properties"]["ServiceConnectConfiguration"]
        assert connect["Enabled"] is True
        # By ARN: a name is looked up and may match another namespace of the same name.
        assert connect["Namespace"] == {"Fn::GetAtt": ["ServiceConnectNamespace", "Arn"]}
    for worker in ("LikeWorkerTaskDefinition", "AdoptWorkerTaskDefinition"):
        environment = {e["Name"]: e["Value"] for e in _container(worker)["Environment"]}
        assert environment["MONOLITH_URL"] == {"Fn::Sub": "http://monolith:${InternalPort}"}


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def test_log_groups_have_a_retention() -> None:
    for resource in _resources("services", "AWS::Logs::LogGroup").values():
        assert resource["Properties"]["RetentionInDays"] == {"Ref": "LogRetentionDays"}


def test_no_allow_statement_grants_a_wildcard_action() -> None:
    # The alarms key's policy: the account administers its key, CloudWatch generates data keys.
    allowed = {"kms:*", "kms:GenerateDataKey*"}
    for component in COMPONENTS:
        for node in _walk(_template(component)):
            if isinstance(node, dict) and node.get("Effect") == "Allow" and "Action" in node:
                for action in _as_list(node["Action"]):
                    assert action in allowed or "*" not in action, (component, action)


@pytest.mark.parametrize(
    ("policy", "service", "queue_export"),
    [
        ("LikeWorkerBacklogScaling", "LikeWorkerService", "LikeQueueArn"),
        ("AdoptWorkerBacklogScaling", "AdoptWorkerService", "AdoptionQueueArn"),
    ],
)
def test_workers_scale_on_backlog_per_task(policy: str, service: str, queue_export: str) -> None:
    policies = _resources("services", "AWS::ApplicationAutoScaling::ScalingPolicy")
    targets = _resources("services", "AWS::ApplicationAutoScaling::ScalableTarget")
    props = policies[policy]["Properties"]
    assert props["PolicyType"] == "TargetTrackingScaling"
    target = targets[props["ScalingTargetId"]["Ref"]]["Properties"]
    assert target["ResourceId"] == {"Fn::Sub": f"service/${{Cluster}}/${{{service}.Name}}"}
    assert target["ScalableDimension"] == "ecs:service:DesiredCount"
    configuration = props["TargetTrackingScalingPolicyConfiguration"]
    assert configuration["TargetValue"] == {"Ref": "WorkerBacklogPerTaskTarget"}
    metrics = {m["Id"]: m for m in configuration["CustomizedMetricSpecification"]["Metrics"]}
    assert metrics["backlog_per_task"]["Expression"] == "visible / tasks"
    assert [m["Id"] for m in metrics.values() if m["ReturnData"]] == ["backlog_per_task"]
    visible = metrics["visible"]["MetricStat"]["Metric"]
    assert (visible["Namespace"], visible["MetricName"]) == ("AWS/SQS", "ApproximateNumberOfMessagesVisible")
    assert visible["Dimensions"] == [
        {
            "Name": "QueueName",
            "Value": {"Fn::Select": [5, {"Fn::Split": [":", _import("MessagingStack", queue_export)]}]},
        }
    ]
    tasks = metrics["tasks"]["MetricStat"]["Metric"]
    assert (tasks["Namespace"], tasks["MetricName"]) == ("ECS/ContainerInsights", "RunningTaskCount")
    assert {d["Name"]: d["Value"] for d in tasks["Dimensions"]} == {
        "ClusterName": {"Ref": "Cluster"},
        "ServiceName": {"Fn::GetAtt": [service, "Name"]},
    }
    cluster = _resources("services", "AWS::ECS::Cluster")["Cluster"]["Properties"]
    assert {"Name": "containerInsights", "Value": "enabled"} in cluster["ClusterSettings"]  # RunningTaskCount


def test_monolith_scales_on_cpu_and_requests_per_target() -> None:
    policies = _resources("services", "AWS::ApplicationAutoScaling::ScalingPolicy")
    kinds = {
        p["Properties"]["TargetTrackingScalingPolicyConfiguration"]["PredefinedMetricSpecification"][
            "PredefinedMetricType"
        ]
        for p in policies.values()
        if p["Properties"]["ScalingTargetId"] == {"Ref": "MonolithScalableTarget"}
    }
    assert kinds == {"ECSServiceAverageCPUUtilization", "ALBRequestCountPerTarget"}


# ---------------------------------------------------------------------------- alarms
def test_alarms_notify_the_encrypted_alarms_topic() -> None:
    alarms = _resources("alarms", "AWS::CloudWatch::Alarm")
    for alarm in alarms.values():
        assert alarm["Properties"]["AlarmActions"] == [{"Ref": "AlarmsTopic"}]
    topic = _resources("alarms", "AWS::SNS::Topic")["AlarmsTopic"]["Properties"]
    assert topic["KmsMasterKeyId"] == {"Ref": "AlarmsKey"}
    key = _resources("alarms", "AWS::KMS::Key")["AlarmsKey"]["Properties"]
    assert key["EnableKeyRotation"] is True
    (cloudwatch,) = [
        s for s in key["KeyPolicy"]["Statement"] if s["Principal"] == {"Service": "cloudwatch.amazonaws.com"}
    ]
    assert sorted(cloudwatch["Action"]) == ["kms:Decrypt", "kms:GenerateDataKey*"]


def test_alarm_on_dead_letters_message_age_and_5xx() -> None:
    alarms: dict[str, list[dict[str, Any]]] = {}
    for alarm in _resources("alarms", "AWS::CloudWatch::Alarm").values():
        alarms.setdefault(alarm["Properties"]["MetricName"], []).append(alarm["Properties"])
    dlq = {json.dumps(p["Dimensions"]): p for p in alarms["ApproximateNumberOfMessagesVisible"]}
    assert len(dlq) == 2
    for props in dlq.values():
        assert (props["Threshold"], props["ComparisonOperator"]) == (0, "GreaterThanThreshold")
        assert "DeadLetterQueueArn" in json.dumps(props["Dimensions"])
    assert len(alarms["ApproximateAgeOfOldestMessage"]) == 2
    assert len(alarms["HTTPCode_ELB_5XX_Count"]) == 1
    assert len(alarms["HTTPCode_Target_5XX_Count"]) == 1


def test_alarm_on_the_workers_own_metrics_by_the_names_and_dimensions_they_emit() -> None:
    # GIVEN what a worker's EMF line declares (mysfits_common.metrics)
    record = emf_record("like_worker", "LikeRequested", BatchCounts(Counter({Outcome.FAILED: 1})), namespace="prod")
    emitted = {metric["Name"] for metric in record["_aws"]["CloudWatchMetrics"][0]["Metrics"]}
    (dimensions,) = record["_aws"]["CloudWatchMetrics"][0]["Dimensions"]

    # THEN the alarms on them name those metrics, in the project's namespace, with every dimension
    custom = [
        alarm["Properties"]
        for alarm in _resources("alarms", "AWS::CloudWatch::Alarm").values()
        if alarm["Properties"]["Namespace"] == {"Ref": "ProjectName"}
    ]
    assert {(p["MetricName"], p["Dimensions"][0]["Value"]) for p in custom} == {
        ("failed", "like_worker"), ("failed", "adopt_worker"), ("retried", "like_worker"), ("retried", "adopt_worker"),
    }
    for props in custom:
        assert props["MetricName"] in emitted
        assert [d["Name"] for d in props["Dimensions"]] == dimensions
    # AND the services write their metrics to that namespace
    for name in ("MonolithTaskDefinition", "LikeWorkerTaskDefinition", "AdoptWorkerTaskDefinition"):
        environment = {e["Name"]: e["Value"] for e in _container(name)["Environment"]}
        assert environment["METRICS_NAMESPACE"] == {"Ref": "ProjectName"}, name


def test_the_dashboard_shows_the_queues_and_what_each_service_did() -> None:
    (dashboard,) = _resources("alarms", "AWS::CloudWatch::Dashboard").values()
    body, variables = dashboard["Properties"]["DashboardBody"]["Fn::Sub"]
    widgets = json.loads(body)["widgets"]  # the ${...} to substitute are all inside JSON strings
    metrics = [row for widget in widgets for row in widget["properties"]["metrics"]]

    queue_metrics = {(row[1], row[3]) for row in metrics if row[0] == "AWS/SQS"}
    assert {queue for _, queue in queue_metrics} == {
        "${LikeQueue}", "${AdoptionQueue}", "${LikeDeadLetterQueue}", "${AdoptionDeadLetterQueue}",
    }
    assert set(variables) == {"LikeQueue", "AdoptionQueue", "LikeDeadLetterQueue", "AdoptionDeadLetterQueue"}
    own = [row for row in metrics if row[0] == "${ProjectName}"]
    assert {row[3] for row in own} == {"like_worker", "adopt_worker", "monolith"}
    assert set(COUNTS) | {"batchSize", "handlingTime"} >= {row[1] for row in own}
    assert all(row[2::2][:2] == ["service", "eventType"] for row in own)


def test_the_monolith_reads_the_strangler_switch_and_only_its_own_parameters() -> None:
    environment = {e["Name"]: e["Value"] for e in _container("MonolithTaskDefinition")["Environment"]}
    assert environment["LIKE_MODE_PARAMETER"] == _import("MessagingStack", "LikeModeParameterName")
    assert environment["ADOPT_MODE_PARAMETER"] == _import("MessagingStack", "AdoptModeParameterName")
    role = _resources("services", "AWS::IAM::Role")["MonolithTaskRole"]["Properties"]
    statements = [s for policy in role["Policies"] for s in policy["PolicyDocument"]["Statement"]]
    (switch,) = [s for s in statements if isinstance(s, dict) and s.get("Sid") == "StranglerSwitch"]
    assert switch["Action"] == "ssm:GetParameter" and len(switch["Resource"]) == 2
    parameters = _resources("messaging", "AWS::SSM::Parameter")
    assert {p["Properties"]["Name"]["Fn::Sub"] for p in parameters.values()} == {
        "/strangler-switch/${ProjectName}/like", "/strangler-switch/${ProjectName}/adopt",
    }


def test_the_pipeline_view_is_off_on_aws_unless_configured() -> None:
    parameter = _template("services")["Parameters"]["PipelineView"]
    assert parameter["Default"] == "0"
    environment = {e["Name"]: e["Value"] for e in _container("MonolithTaskDefinition")["Environment"]}
    assert environment["PIPELINE_VIEW"] == {"Ref": "PipelineView"}
    (policy,) = _resources("services", "AWS::IAM::Policy").values()
    assert policy["Condition"] == "PipelineViewOn"
    assert policy["Properties"]["Roles"] == [{"Ref": "MonolithTaskRole"}]
    (granted,) = policy["Properties"]["PolicyDocument"]["Statement"]
    assert granted["Action"] == "sqs:GetQueueAttributes" and len(granted["Resource"]) == 4


# ---------------------------------------------------------------------------- website
def test_site_bucket_is_private_and_read_only_through_the_distribution() -> None:
    bucket = _resources("website", "AWS::S3::Bucket")["SiteBucket"]["Properties"]
    assert all(bucket["PublicAccessBlockConfiguration"].values())
    assert bucket["OwnershipControls"]["Rules"] == [{"ObjectOwnership": "BucketOwnerEnforced"}]
    policy = _resources("website", "AWS::S3::BucketPolicy")["SiteBucketPolicy"]["Properties"]["PolicyDocument"]
    allow = [s for s in policy["Statement"] if s["Effect"] == "Allow"]
    assert allow == [
        {
            "Sid": "CloudFrontReadsThroughOriginAccessControl",
            "Effect": "Allow",
            "Principal": {"Service": "cloudfront.amazonaws.com"},
            "Action": "s3:GetObject",
            "Resource": {"Fn::Sub": "${SiteBucket.Arn}/*"},
            "Condition": {
                "StringEquals": {
                    "AWS:SourceArn": {
                        "Fn::Sub": "arn:${AWS::Partition}:cloudfront::${AWS::AccountId}:distribution/${Distribution}"
                    }
                }
            },
        }
    ]


def test_distribution_serves_the_site_through_oac_and_the_api_uncached() -> None:
    config = _resources("website", "AWS::CloudFront::Distribution")["Distribution"]["Properties"]["DistributionConfig"]
    origins = {o["Id"]: o for o in config["Origins"]}
    assert origins["site"]["OriginAccessControlId"] == {"Fn::GetAtt": ["OriginAccessControl", "Id"]}
    assert origins["site"]["S3OriginConfig"] == {"OriginAccessIdentity": ""}
    # Parameters, not imports: both change when HTTPS is switched on (test_exports_stable.py).
    assert origins["api"]["DomainName"] == {"Ref": "ApiOriginDomainName"}
    # a custom origin over the internet to an internet-facing load balancer, else a VPC origin (test_vpc_origin.py)
    custom = origins["api"]["CustomOriginConfig"]["Fn::If"][2]
    assert custom["OriginProtocolPolicy"] == {"Ref": "ApiOriginProtocolPolicy"}
    assert config["DefaultCacheBehavior"]["ViewerProtocolPolicy"] == "redirect-to-https"
    (api,) = [b for b in config["CacheBehaviors"] if b["PathPattern"] == "/mysfits*"]
    assert api["TargetOriginId"] == "api" and api["ViewerProtocolPolicy"] == "https-only"
    assert "POST" in api["AllowedMethods"]
    assert api["CachePolicyId"] == "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"  # Managed-CachingDisabled


def test_the_distribution_forwards_the_pipeline_counts_uncached_and_read_only() -> None:
    config = _resources("website", "AWS::CloudFront::Distribution")["Distribution"]["Properties"]["DistributionConfig"]
    (pipeline,) = [b for b in config["CacheBehaviors"] if b["PathPattern"] == "/pipeline"]
    assert pipeline["TargetOriginId"] == "api" and pipeline["AllowedMethods"] == ["GET", "HEAD"]
    assert pipeline["CachePolicyId"] == "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"  # Managed-CachingDisabled


def _forwarded_to_the_api(path: str) -> bool:
    """Whether a request for ``path`` reaches the load balancer: the first cache behaviour whose
    pattern matches (CloudFront's ``*`` and ``?``, case-sensitive) decides; the default serves the site."""
    config = _resources("website", "AWS::CloudFront::Distribution")["Distribution"]["Properties"]["DistributionConfig"]
    for behaviour in config["CacheBehaviors"]:
        if fnmatch.fnmatchcase(path, behaviour["PathPattern"]):
            return bool(behaviour["TargetOriginId"] == "api")
    return bool(config["DefaultCacheBehavior"]["TargetOriginId"] == "api")


def test_readiness_is_off_the_public_path_and_liveness_is_what_the_load_balancer_asks() -> None:
    assert not _forwarded_to_the_api("/ready") and not _forwarded_to_the_api("/ready/")
    assert _forwarded_to_the_api("/health") and _forwarded_to_the_api("/mysfits")
    group = _resources("ingress", "AWS::ElasticLoadBalancingV2::TargetGroup")["MonolithTargetGroup"]["Properties"]
    assert group["HealthCheckPath"] == "/health"
