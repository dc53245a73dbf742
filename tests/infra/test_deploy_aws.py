"""deploy.aws with every AWS call stubbed (botocore's Stubber) and no docker or git run: no network."""

from __future__ import annotations

import base64
import datetime
import subprocess
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from io import StringIO
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import ANY, Stubber

from deploy.aws import (
    COMPONENTS,
    AwsDeployer,
    DeployFailure,
    DeployOptions,
    _parser,
    config_script,
    deploy_options,
    main,
    stack_name,
    stack_parameters,
)
from deploy.parameters import NatChoice
from deploy.teardown import Teardown
from mysfits_common.cli import Exit

PROJECT = "unit"
SHA = "0123456789abcdef0123456789abcdef01234567"
NOW = datetime.datetime(2026, 11, 30, tzinfo=datetime.UTC)
REGISTRY = "111122223333.dkr.ecr.eu-west-1.amazonaws.com"
PREFIX_LIST = {"PrefixListId": "pl-3b927c52", "PrefixListName": "com.amazonaws.global.cloudfront.origin-facing"}
ROLES = [
    {"RoleName": name}
    for name in (
        "AWSServiceRoleForECS",
        "AWSServiceRoleForElasticLoadBalancing",
        "AWSServiceRoleForApplicationAutoScaling_ECSService",
    )
]
ECS_ROLE = {
    "Path": "/aws-service-role/ecs.amazonaws.com/",
    "RoleName": "AWSServiceRoleForECS",
    "RoleId": "AROAEXAMPLEEXAMPLE123",
    "Arn": "arn:aws:iam::111122223333:role/aws-service-role/ecs.amazonaws.com/AWSServiceRoleForECS",
    "CreateDate": NOW,
}
OUTPUTS: dict[str, dict[str, str]] = {
    "registry": {
        "MonolithRepositoryUri": f"{REGISTRY}/{PROJECT}/monolith",
        "LikeWorkerRepositoryUri": f"{REGISTRY}/{PROJECT}/like-worker",
        "AdoptWorkerRepositoryUri": f"{REGISTRY}/{PROJECT}/adopt-worker",
        "TemplatesBucketName": "unit-templates",
    },
    "network": {"AccessLogsBucketName": "unit-logs"},
    "data": {"MysfitsTableName": "unit-mysfits", "ProcessedEventsTableName": "unit-processed-events"},
    "messaging": {},
    "ingress": {
        "ApiUrl": "http://alb.example",
        "OriginDomainName": "alb.example",
        "OriginProtocolPolicy": "http-only",
        "LoadBalancerScheme": "internal",
        "LoadBalancerArn": "arn:aws:elasticloadbalancing:eu-west-1:111122223333:loadbalancer/app/unit/0123456789abcdef",
    },
    "website": {"SiteBucketName": "unit-site", "DistributionId": "E123", "WebsiteUrl": "https://d1.cloudfront.net"},
    "services": {},
    "alarms": {"AlarmsTopicArn": "arn:aws:sns:eu-west-1:111122223333:unit-alarms"},
}


@dataclass
class FakeRunner:
    """Records commands instead of running them; git answers with SHA and a clean tree."""

    dirty: str = ""
    calls: list[list[str]] = field(default_factory=list)
    inputs: list[str | None] = field(default_factory=list)

    def __call__(
        self, args: Sequence[str], *, check: bool, cwd: Path, input: str | None = None, capture_output: bool = False
    ) -> subprocess.CompletedProcess[str]:
        self.calls.append(list(args))
        self.inputs.append(input)
        stdout = {"rev-parse": SHA + "\n", "status": self.dirty}.get(args[1], "") if args[0] == "git" else ""
        return subprocess.CompletedProcess(list(args), 0, stdout=stdout, stderr="")

    def commands(self, program: str) -> list[list[str]]:
        return [call for call in self.calls if call[0] == program]


class StubbedAws:
    """One stubbed client per service, handed out by ``client(service)`` like ``session.client``."""

    def __init__(self) -> None:
        session = boto3.session.Session(
            aws_access_key_id="testing", aws_secret_access_key="testing", region_name="eu-west-1"
        )
        self.clients = {
            name: session.client(name)
            for name in ("cloudformation", "ecr", "s3", "cloudfront", "dynamodb", "ec2", "iam", "sts", "service-quotas")
        }
        self.stubs = {name: Stubber(client) for name, client in self.clients.items()}
        self.created: list[tuple[str, dict[str, str], list[str]]] = []
        self.clients["cloudformation"].meta.events.register(
            "provide-client-params.cloudformation.CreateStack", self._record
        )

    def client(self, service: str) -> Any:
        return self.clients[service]

    def _record(self, params: dict[str, Any], **_: Any) -> None:
        parameters = {p["ParameterKey"]: p["ParameterValue"] for p in params["Parameters"]}
        self.created.append((params["StackName"], parameters, params.get("Capabilities", [])))

    # -------------------------------------------------------------- preflight answers
    def preflight_passes(self) -> None:
        """A new account that passes every check (test_preflight.py covers each one)."""
        self.stubs["sts"].add_response(
            "get_caller_identity", {"Account": "111122223333", "Arn": "arn:aws:iam::111122223333:user/me"}, {}
        )
        self.stubs["ec2"].add_response("describe_managed_prefix_lists", {"PrefixLists": [PREFIX_LIST]}, None)
        self.stack_absent(stack_name(PROJECT, "services"))
        self.stubs["service-quotas"].add_response(
            "get_service_quota", {"Quota": {"Value": 100.0}}, {"ServiceCode": "fargate", "QuotaCode": "L-3032A538"}
        )
        for role in ROLES:
            self.stubs["iam"].add_client_error("get_role", service_error_code="NoSuchEntity", expected_params=role)
        self.stubs["cloudfront"].add_response(
            "list_distributions",
            {"DistributionList": {"Marker": "", "MaxItems": 1, "IsTruncated": False, "Quantity": 0}},
            {"MaxItems": "1"},
        )

    # -------------------------------------------------------------- CloudFormation answers
    def stack_absent(self, name: str) -> None:
        self.stubs["cloudformation"].add_client_error(
            "describe_stacks",
            service_error_code="ValidationError",
            service_message=f"Stack with id {name} does not exist",
            expected_params={"StackName": name},
        )

    def stack(self, name: str, status: str, outputs: dict[str, str] | None = None) -> None:
        description = {
            "StackName": name,
            "StackId": f"arn:aws:cloudformation:eu-west-1:111122223333:stack/{name}/1",
            "CreationTime": NOW,
            "StackStatus": status,
            "Outputs": [{"OutputKey": k, "OutputValue": v} for k, v in (outputs or {}).items()],
        }
        self.stubs["cloudformation"].add_response("describe_stacks", {"Stacks": [description]}, {"StackName": name})

    def create(self, component: str) -> None:
        name = stack_name(PROJECT, component)
        if component == "data":  # no stack, and no table retained by an earlier one to import...
            self.stack_absent(name)
            self.tables_absent()
            self.tables_absent()  # ...nor any whose indexes to change one at a time
        self.stack_absent(name)
        expected = {
            "StackName": name,
            "TemplateBody": ANY,
            "Parameters": ANY,
            "Tags": [{"Key": "project", "Value": PROJECT}],
        }
        if component == "services":
            expected["Capabilities"] = ["CAPABILITY_IAM"]
        self.stubs["cloudformation"].add_response("create_stack", {"StackId": name}, expected)
        self.stack(name, "CREATE_COMPLETE")  # the waiter
        self.stack(name, "CREATE_COMPLETE", OUTPUTS[component])  # the outputs

    def tables_absent(self) -> None:
        for table in OUTPUTS["data"].values():
            self.stubs["dynamodb"].add_client_error(
                "describe_table", service_error_code="ResourceNotFoundException", expected_params={"TableName": table}
            )

    def __enter__(self) -> StubbedAws:
        for stub in self.stubs.values():
            stub.activate()
        return self

    def __exit__(self, *exc: object) -> None:
        for stub in self.stubs.values():
            stub.deactivate()

    def assert_no_pending_responses(self) -> None:
        for stub in self.stubs.values():
            stub.assert_no_pending_responses()


@pytest.fixture
def aws() -> Iterator[StubbedAws]:
    with StubbedAws() as stubbed:
        yield stubbed
        stubbed.assert_no_pending_responses()


@pytest.fixture
def website(tmp_path: Path) -> Path:
    root = tmp_path / "website"
    (root / "js").mkdir(parents=True)
    (root / "index.html").write_text("<!doctype html>", encoding="utf-8")
    (root / "js" / "api.js").write_text("export {};", encoding="utf-8")
    (root / "config.js").write_text("// the local one, never uploaded", encoding="utf-8")
    return root


def _deployer(aws: StubbedAws, runner: FakeRunner, website: Path, **options: Any) -> AwsDeployer:
    seeded: list[tuple[str, str]] = []

    def seed(_client: Any, table: str, markers: str) -> int:
        seeded.append((table, markers))
        return 12

    deployer = AwsDeployer(
        options=DeployOptions(project=PROJECT, website_dir=website, poll_delay=0.01, timeout=1, **options),
        client=aws.client,
        run=runner,
        seed=seed,
        out=StringIO(),
        now=NOW.timestamp,
    )
    deployer.seeded = seeded  # type: ignore[attr-defined]
    return deployer


# ---------------------------------------------------------------------------- credentials
def test_missing_credentials_are_refused_before_any_call(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in (
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_PROFILE",
        "AWS_DEFAULT_PROFILE",
    ):
        monkeypatch.delenv(name, raising=False)
    empty = tmp_path / "empty"
    empty.write_text("", encoding="utf-8")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(empty))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(empty))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.delenv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", raising=False)
    monkeypatch.delenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", raising=False)
    monkeypatch.delenv("AWS_WEB_IDENTITY_TOKEN_FILE", raising=False)
    session = boto3.session.Session(region_name="eu-west-1")

    for command in ("deploy", "teardown"):
        assert main([command, "--yes"], session=session) == Exit.CREDENTIALS
        error = capsys.readouterr().err
        assert f"deploy.aws {command} failed: No AWS credentials found, so nothing was changed." in error
        assert "AWS_PROFILE" in error and "AWS_ACCESS_KEY_ID" in error


def test_a_missing_region_is_refused(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AWS_DEFAULT_REGION", raising=False)
    monkeypatch.delenv("AWS_REGION", raising=False)
    session = boto3.session.Session(aws_access_key_id="a", aws_secret_access_key="b")
    if session.region_name:  # a developer's config file names one
        pytest.skip("a region is configured outside the test's control")
    assert main(["deploy"], session=session) == Exit.USAGE
    assert "No AWS region" in capsys.readouterr().err


# ---------------------------------------------------------------------------- deploy
def test_deploy_creates_the_stacks_in_order_with_their_parameters(
    aws: StubbedAws, website: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN images already in ECR under this commit, and no stack yet
    aws.preflight_passes()
    aws.stack_absent(stack_name(PROJECT, "ingress"))  # a new deployment: a VPC origin, an internal load balancer
    aws.stubs["ec2"].add_response(
        "describe_managed_prefix_lists",
        {
            "PrefixLists": [
                {"PrefixListId": "pl-3b927c52", "PrefixListName": "com.amazonaws.global.cloudfront.origin-facing"}
            ]
        },
        {"Filters": [{"Name": "prefix-list-name", "Values": ["com.amazonaws.global.cloudfront.origin-facing"]}]},
    )
    for component in COMPONENTS:
        aws.create(component)
        if component == "registry":
            for repository in ("monolith", "like-worker", "adopt-worker"):
                aws.stubs["ecr"].add_response(
                    "describe_images",
                    {"imageDetails": [{"imageTags": [SHA]}]},
                    {"repositoryName": f"{PROJECT}/{repository}", "imageIds": [{"imageTag": SHA}]},
                )
    for key in ("index.html", "js/api.js", "config.js"):
        aws.stubs["s3"].add_response(
            "put_object", {}, {"Bucket": "unit-site", "Key": key, "Body": ANY, "ContentType": ANY, "CacheControl": ANY}
        )
    aws.stubs["s3"].add_response(
        "list_objects_v2", {"Contents": [{"Key": "index.html"}, {"Key": "old.css"}]}, {"Bucket": "unit-site"}
    )
    aws.stubs["s3"].add_response(
        "delete_objects", {}, {"Bucket": "unit-site", "Delete": {"Objects": [{"Key": "old.css"}], "Quiet": True}}
    )
    aws.stubs["cloudfront"].add_response(
        "create_invalidation",
        {},
        {
            "DistributionId": "E123",
            "InvalidationBatch": {"Paths": {"Quantity": 1, "Items": ["/*"]}, "CallerReference": ANY},
        },
    )
    # and an account that has never used ECS: no service-linked role yet
    role = {"RoleName": "AWSServiceRoleForECS"}
    aws.stubs["iam"].add_client_error("get_role", service_error_code="NoSuchEntity", expected_params=role)
    aws.stubs["iam"].add_response(
        "create_service_linked_role", {"Role": ECS_ROLE}, {"AWSServiceName": "ecs.amazonaws.com"}
    )
    aws.stubs["iam"].add_response("get_role", {"Role": ECS_ROLE, "ResponseMetadata": {"HTTPStatusCode": 200}}, role)
    calls: list[str] = []
    for name in ("iam", "cloudformation"):
        aws.clients[name].meta.events.register(
            f"before-parameter-build.{name}", lambda model, _name=name, **_: calls.append(f"{_name}.{model.name}")
        )
    runner = FakeRunner()
    deployer = _deployer(aws, runner, website, alarm_email="oncall@example.com")

    # WHEN
    outputs = deployer.deploy()

    # THEN ECS's service-linked role was created, and IAM returned it, before any stack
    created = calls.index("iam.CreateServiceLinkedRole")
    assert created < calls.index("iam.GetRole", created) < calls.index("cloudformation.CreateStack")

    # THEN every stack, in order, with the wiring the templates expect
    assert [name for name, _, _ in aws.created] == [stack_name(PROJECT, c) for c in COMPONENTS]
    parameters = {name.removeprefix(f"{PROJECT}-"): values for name, values, _ in aws.created}
    assert parameters["network"]["NatGateways"] == "per-az"  # a new stack: the templates' defaults
    assert parameters["services"]["TaskSubnets"] == "private"
    assert parameters["ingress"]["NetworkStack"] == "unit-network"
    assert parameters["ingress"]["CloudFrontPrefixListId"] == "pl-3b927c52"  # looked up in the region
    assert parameters["website"]["ApiOriginDomainName"] == "alb.example"
    assert parameters["website"]["ApiOriginProtocolPolicy"] == "http-only"
    assert parameters["ingress"]["LoadBalancerScheme"] == "internal"
    assert parameters["website"]["ApiOriginScheme"] == "internal"
    assert parameters["services"]["ImageTag"] == SHA
    assert parameters["services"]["CorsAllowedOrigins"] == "https://d1.cloudfront.net"
    assert parameters["services"]["RegistryStack"] == "unit-registry"
    assert parameters["alarms"]["AlarmEmail"] == "oncall@example.com"
    assert all(values["ProjectName"] == PROJECT for values in parameters.values())
    assert [caps for name, _, caps in aws.created if name.endswith("-services")] == [["CAPABILITY_IAM"]]
    assert outputs["website"]["WebsiteUrl"] == "https://d1.cloudfront.net"
    # the images were there already: no docker at all
    assert runner.commands("docker") == []
    assert deployer.seeded == [("unit-mysfits", "unit-processed-events")]  # type: ignore[attr-defined]
    printed = deployer.out.getvalue()  # type: ignore[attr-defined]
    assert "https://d1.cloudfront.net" in printed and "http://alb.example " in printed and SHA in printed


@pytest.mark.parametrize(
    ("nat", "task_subnets"), [("per-az", "private"), ("one", "private"), ("none", "public")]
)
def test_stack_parameters_of_each_network(nat: NatChoice, task_subnets: str) -> None:
    options = DeployOptions(project=PROJECT, nat=nat)
    outputs = {"website": {"WebsiteUrl": "https://d1.cloudfront.net"}}
    assert stack_parameters("network", options, SHA, outputs)["NatGateways"] == nat
    services = stack_parameters("services", options, SHA, outputs)
    assert services["TaskSubnets"] == task_subnets
    small = stack_parameters("services", DeployOptions(project=PROJECT, small_workers=True), SHA, outputs)
    assert (small["WorkerCpu"], small["WorkerMemory"]) == ("256", "512")
    usual = stack_parameters("services", DeployOptions(project=PROJECT, small_workers=False), SHA, outputs)
    assert (usual["WorkerCpu"], usual["WorkerMemory"]) == ("512", "1024")


def test_an_option_not_given_gives_no_parameter_so_the_stack_keeps_its_value() -> None:
    options = DeployOptions(project=PROJECT, cloudfront_prefix_list_id="pl-3b927c52")
    outputs = {"website": {"WebsiteUrl": "https://d1.cloudfront.net"}}
    chosen = {
        "network": {"NatGateways"},
        "ingress": {"CertificateArn", "ApiDomainName"},
        "services": {"TaskSubnets", "WorkerCpu", "WorkerMemory", "PipelineView"},
        "alarms": {"AlarmEmail"},
    }
    for component, names in chosen.items():
        assert not names & set(stack_parameters(component, options, SHA, outputs)), component


def test_the_pipeline_view_is_off_unless_asked_for() -> None:
    outputs = {"website": {"WebsiteUrl": "https://d1.cloudfront.net"}}

    assert stack_parameters("services", DeployOptions(project=PROJECT, pipeline_view=False), SHA, outputs)[
        "PipelineView"
    ] == "0"
    on = DeployOptions(project=PROJECT, pipeline_view=True)
    assert stack_parameters("services", on, SHA, outputs)["PipelineView"] == "1"


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        ([], {"nat": None, "small_workers": None, "pipeline_view": None, "alarm_email": None, "certificate_arn": None}),
        (
            ["--no-nat", "--small-workers", "--alarm-email", ""],
            {"nat": "none", "small_workers": True, "alarm_email": ""},
        ),
        (["--nat", "per-az", "--no-small-workers", "--no-pipeline-view"], {"nat": "per-az", "small_workers": False}),
        (["--single-nat", "--certificate-arn", ""], {"nat": "one", "certificate_arn": ""}),
    ],
)
def test_the_command_line_gives_only_what_it_names(argv: list[str], expected: dict[str, Any]) -> None:
    options = deploy_options(_parser().parse_args(["deploy", *argv]))
    assert {name: getattr(options, name) for name in expected} == expected


def test_single_nat_and_no_nat_exclude_each_other(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["deploy", "--single-nat", "--no-nat"])
    assert "not allowed with argument" in capsys.readouterr().err


def test_missing_images_are_built_and_pushed_tagged_with_the_commit(aws: StubbedAws, website: Path) -> None:
    ecr = aws.stubs["ecr"]
    ecr.add_response(
        "describe_images",
        {"imageDetails": [{"imageTags": [SHA]}]},
        {"repositoryName": "unit/monolith", "imageIds": [{"imageTag": SHA}]},
    )
    for repository in ("like-worker", "adopt-worker"):
        ecr.add_client_error(
            "describe_images",
            service_error_code="ImageNotFoundException",
            expected_params={"repositoryName": f"unit/{repository}", "imageIds": [{"imageTag": SHA}]},
        )
    token = base64.b64encode(b"AWS:s3cret").decode()
    ecr.add_response(
        "get_authorization_token",
        {"authorizationData": [{"authorizationToken": token, "proxyEndpoint": f"https://{REGISTRY}"}]},
        {},
    )
    runner = FakeRunner()
    deployer = _deployer(aws, runner, website)

    pushed = deployer.publish_images(deployer.image_tag(), OUTPUTS["registry"])

    assert pushed == [f"{REGISTRY}/unit/like-worker:{SHA}", f"{REGISTRY}/unit/adopt-worker:{SHA}"]
    docker = runner.commands("docker")
    assert docker[0] == ["docker", "login", "--username", "AWS", "--password-stdin", REGISTRY]
    assert "s3cret" in runner.inputs and not any("s3cret" in " ".join(call) for call in runner.calls)
    assert docker[1] == [
        "docker", "build", "--platform", "linux/amd64", "-f", "Dockerfile", "--target", "like-worker",
        "-t", pushed[0], ".",
    ]  # fmt: skip
    assert docker[2] == ["docker", "push", pushed[0]]
    assert all(not call[-1].endswith(":latest") for call in docker)


def test_uncommitted_image_sources_are_refused_or_tagged_dirty(aws: StubbedAws, website: Path) -> None:
    runner = FakeRunner(dirty=" M monolith/api.py\n")
    with pytest.raises(DeployFailure, match="uncommitted changes"):
        _deployer(aws, runner, website).image_tag()
    assert _deployer(aws, runner, website, allow_dirty=True).image_tag() == f"{SHA}-dirty-20261130000000"


def test_website_upload_sets_types_and_caching_and_writes_config(aws: StubbedAws, website: Path) -> None:
    s3 = aws.stubs["s3"]
    s3.add_response(
        "put_object",
        {},
        {
            "Bucket": "b",
            "Key": "index.html",
            "Body": ANY,
            "ContentType": "text/html; charset=utf-8",
            "CacheControl": "no-cache",
        },
    )
    s3.add_response(
        "put_object",
        {},
        {
            "Bucket": "b",
            "Key": "js/api.js",
            "Body": ANY,
            "ContentType": "text/javascript; charset=utf-8",
            "CacheControl": "public, max-age=300",
        },
    )
    s3.add_response(
        "put_object",
        {},
        {
            "Bucket": "b",
            "Key": "config.js",
            "Body": config_script("https://d1.cloudfront.net").encode(),
            "ContentType": "text/javascript; charset=utf-8",
            "CacheControl": "no-cache",
        },
    )
    s3.add_response("list_objects_v2", {"Contents": [{"Key": "config.js"}]}, {"Bucket": "b"})

    uploaded = _deployer(aws, FakeRunner(), website).upload_website("b", "https://d1.cloudfront.net")

    assert uploaded == ["index.html", "js/api.js", "config.js"]
    assert config_script("https://x") == 'window.MYSFITS_CONFIG = Object.freeze({"apiBaseUrl": "https://x"});\n'


# ---------------------------------------------------------------------------- teardown
def test_teardown_deletes_in_reverse_order_emptying_buckets_first(aws: StubbedAws, website: Path) -> None:
    cfn, s3, dynamodb = (aws.stubs[name] for name in ("cloudformation", "s3", "dynamodb"))
    calls: list[str] = []
    for name, client in aws.clients.items():
        client.meta.events.register(
            "before-parameter-build", lambda model, _name=name, **_: calls.append(f"{_name}.{model.name}")
        )

    for component in reversed(COMPONENTS):
        name = stack_name(PROJECT, component)
        if component == "alarms":  # never deployed: skipped
            aws.stack_absent(name)
            continue
        aws.stack(name, "CREATE_COMPLETE")
        aws.stack(name, "CREATE_COMPLETE", OUTPUTS[component])
        buckets = {"website": "SiteBucketName", "network": "AccessLogsBucketName", "registry": "TemplatesBucketName"}
        if component in buckets:
            bucket = OUTPUTS[component][buckets[component]]
            s3.add_response(
                "list_object_versions",
                {"Versions": [{"Key": "a", "VersionId": "v1"}], "DeleteMarkers": [{"Key": "a", "VersionId": "v2"}]},
                {"Bucket": bucket},
            )
            s3.add_response(
                "delete_objects",
                {},
                {
                    "Bucket": bucket,
                    "Delete": {
                        "Objects": [{"Key": "a", "VersionId": "v1"}, {"Key": "a", "VersionId": "v2"}],
                        "Quiet": True,
                    },
                },
            )
        cfn.add_response("delete_stack", {}, {"StackName": name})
        aws.stack(name, "DELETE_COMPLETE")
        if component == "data":
            for table in ("unit-mysfits", "unit-processed-events"):
                dynamodb.add_response("delete_table", {}, {"TableName": table})

    deleted = _deployer(aws, FakeRunner(), website).teardown()

    assert deleted == [stack_name(PROJECT, c) for c in reversed(COMPONENTS) if c != "alarms"]
    deletions = [c for c in calls if c.endswith(("DeleteStack", "DeleteObjects", "BatchDeleteImage", "DeleteTable"))]
    assert deletions == [
        "cloudformation.DeleteStack",  # services
        "s3.DeleteObjects",  # the site bucket, before its stack
        "cloudformation.DeleteStack",  # website
        "cloudformation.DeleteStack",  # ingress
        "cloudformation.DeleteStack",  # messaging
        "cloudformation.DeleteStack",  # data, then its retained tables
        "dynamodb.DeleteTable",
        "dynamodb.DeleteTable",
        "s3.DeleteObjects",  # the access-logs bucket
        "cloudformation.DeleteStack",  # network
        "s3.DeleteObjects",  # the templates bucket
        "cloudformation.DeleteStack",  # registry: its repositories delete their images (EmptyOnDelete)
    ]


def test_teardown_keeps_the_data_stack_when_asked(aws: StubbedAws, website: Path) -> None:
    # GIVEN every stack but the data stack already gone: the data stack is not even looked at
    for component in reversed(COMPONENTS):
        if component != "data":
            aws.stack_absent(stack_name(PROJECT, component))
    deployer = _deployer(aws, FakeRunner(), website, keep_data=True)

    # WHEN / THEN nothing is deleted: no DeleteStack, no DeleteTable (the stubs hold no answer for either)
    assert deployer.teardown() == []
    assert "data stack and its tables were kept" in deployer.out.getvalue()  # type: ignore[attr-defined]


def test_a_profile_that_does_not_exist_cannot_start(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    empty = tmp_path / "config"
    empty.write_text("", encoding="utf-8")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(empty))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(empty))

    assert main(["deploy", "--profile", "nope"]) == Exit.USAGE
    assert "Traceback" not in capsys.readouterr().err


def test_teardown_without_confirmation_deletes_nothing(capsys: pytest.CaptureFixture[str]) -> None:
    session = boto3.session.Session(aws_access_key_id="a", aws_secret_access_key="b", region_name="eu-west-1")
    assert main(["teardown"], session=session) == Exit.REFUSED  # stdin is not a terminal under pytest
    assert "not confirmed" in capsys.readouterr().err


def test_teardown_deletes_a_data_stack_that_rolled_back_without_outputs() -> None:
    # GIVEN a data stack whose first create rolled back: it exists, without outputs or tables
    session = boto3.session.Session(aws_access_key_id="a", aws_secret_access_key="b", region_name="eu-west-1")
    cfn, dynamodb = session.client("cloudformation"), session.client("dynamodb")
    rolled_back = {"StackName": "p-data", "CreationTime": NOW, "StackStatus": "ROLLBACK_COMPLETE"}
    with Stubber(cfn) as stub, Stubber(dynamodb):
        stub.add_response("describe_stacks", {"Stacks": [rolled_back]}, {"StackName": "p-data"})
        stub.add_response("describe_stacks", {"Stacks": [rolled_back]}, {"StackName": "p-data"})
        stub.add_response("delete_stack", {}, {"StackName": "p-data"})
        stub.add_response("describe_stacks", {"Stacks": [{**rolled_back, "StackStatus": "DELETE_COMPLETE"}]},
                          {"StackName": "p-data"})
        clients = {"cloudformation": cfn, "dynamodb": dynamodb}

        # WHEN it is torn down, THEN the stack goes, and no table is asked for
        deleted = Teardown(client=clients.__getitem__, project="p", components=["data"], poll_delay=0.1).run()

    assert deleted == ["p-data"]
