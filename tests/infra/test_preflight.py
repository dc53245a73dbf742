"""``python -m deploy.aws preflight``: against the embedded emulator (nothing is created), and with
botocore's Stubber where the emulator cannot answer as AWS does (the Fargate quota, IAM's roles)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from deploy.aws import COMPONENTS, TEMPLATE_DIR, AwsDeployer, DeployFailure, DeployOptions, main
from deploy.preflight import FARGATE_VCPU_QUOTA, Finding, run_preflight

ACCOUNT = "111122223333"


def test_preflight_runs_against_the_emulator_one_line_a_check_and_creates_nothing(
    emulator: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", emulator)
    session = boto3.session.Session(region_name="us-east-1")
    cfn = session.client("cloudformation")
    stacks_before = cfn.list_stacks()["StackSummaries"]

    assert main(["preflight", "--project", "preflight"], session=session) == 0

    lines = capsys.readouterr().out.splitlines()
    subjects = [line.split(":", 1)[0].split(maxsplit=1)[1] for line in lines]
    assert subjects == [
        "credentials",
        "region",
        "Fargate vCPUs",
        "AWSServiceRoleForECS",
        "AWSServiceRoleForElasticLoadBalancing",
        "AWSServiceRoleForApplicationAutoScaling_ECSService",
        "templates",
        "CloudFront",
    ]
    assert not [line for line in lines if line.startswith("FAIL")]
    assert lines[0].startswith("ok    credentials: account ")
    # the emulator has no Fargate quota: the line says where to look instead of failing
    assert lines[2].startswith("warn  Fargate vCPUs: cannot read the quota") and FARGATE_VCPU_QUOTA in lines[2]
    assert cfn.list_stacks()["StackSummaries"] == stacks_before


class StubbedAccount:
    """A new account's answers: no stack, no distribution, no service-linked role, a given quota."""

    def __init__(self) -> None:
        session = boto3.session.Session(
            aws_access_key_id="testing", aws_secret_access_key="testing", region_name="eu-west-1"
        )
        names = ("sts", "ec2", "cloudformation", "service-quotas", "iam", "cloudfront")
        self.clients = {name: session.client(name) for name in names}
        self.stubs = {name: Stubber(client) for name, client in self.clients.items()}

    def client(self, service: str) -> Any:
        return self.clients[service]

    def answer(self, vcpus: float, project: str = "unit") -> None:
        self.stubs["sts"].add_response(
            "get_caller_identity",
            {"Account": ACCOUNT, "Arn": f"arn:aws:iam::{ACCOUNT}:user/me", "UserId": "AIDAEXAMPLE"},
            {},
        )
        self.stubs["ec2"].add_response(
            "describe_managed_prefix_lists",
            {"PrefixLists": [{"PrefixListId": "pl-4fa04526", "PrefixListName": "x"}]},
            None,
        )
        self.stubs["cloudformation"].add_client_error(
            "describe_stacks",
            service_error_code="ValidationError",
            service_message=f"Stack with id {project}-services does not exist",
            expected_params={"StackName": f"{project}-services"},
        )
        self.stubs["service-quotas"].add_response(
            "get_service_quota",
            {"Quota": {"QuotaCode": FARGATE_VCPU_QUOTA, "Value": vcpus}},
            {"ServiceCode": "fargate", "QuotaCode": FARGATE_VCPU_QUOTA},
        )
        for role in (
            "AWSServiceRoleForECS",
            "AWSServiceRoleForElasticLoadBalancing",
            "AWSServiceRoleForApplicationAutoScaling_ECSService",
        ):
            self.stubs["iam"].add_client_error(
                "get_role", service_error_code="NoSuchEntity", expected_params={"RoleName": role}
            )
        self.stubs["cloudfront"].add_response(
            "list_distributions",
            {"DistributionList": {"Marker": "", "MaxItems": 1, "IsTruncated": False, "Quantity": 0}},
            {"MaxItems": "1"},
        )


@pytest.fixture
def account() -> Iterator[StubbedAccount]:
    stubbed = StubbedAccount()
    for stub in stubbed.stubs.values():
        stub.activate()
    yield stubbed
    for stub in stubbed.stubs.values():
        stub.assert_no_pending_responses()
        stub.deactivate()


def _fargate(findings: list[Finding]) -> Finding:
    (found,) = [f for f in findings if f.subject == "Fargate vCPUs"]
    return found


@pytest.mark.parametrize(
    ("vcpus", "small_workers", "status", "says"),
    [
        # defaults: monolith 2 x 0.5, workers 2 x 1 x 0.5 = 2 vCPUs, twice while a deployment runs
        (2, None, "fail", "2 granted, 4 needed while a deployment replaces the tasks"),
        (4, None, "warn", "not for autoscaling's maximum (8)"),
        (8, None, "ok", "8 granted, 4 to deploy, 8 at most"),
        (3, True, "warn", "enough to deploy (3)"),  # 0.25 vCPU workers: 1.5 running, 3 while deploying
    ],
)
def test_the_fargate_quota_is_checked_against_what_the_sizes_need(
    account: StubbedAccount, vcpus: float, small_workers: bool | None, status: str, says: str
) -> None:
    account.answer(vcpus)
    options = DeployOptions(project="unit", small_workers=small_workers)

    found = _fargate(run_preflight(account.client, options, "eu-west-1", TEMPLATE_DIR, COMPONENTS))

    assert (found.status, says in found.message) == (status, True), found.line()
    if status == "fail":
        assert FARGATE_VCPU_QUOTA in found.message


def test_a_new_account_is_told_each_thing_in_one_line(account: StubbedAccount) -> None:
    account.answer(8)

    findings = run_preflight(account.client, DeployOptions(project="unit"), "eu-west-1", TEMPLATE_DIR, COMPONENTS)

    lines = [finding.line() for finding in findings]
    assert all("\n" not in line for line in lines)
    by_subject = {finding.subject: finding for finding in findings}
    assert "created by the deploy, before any stack" in by_subject["AWSServiceRoleForECS"].message
    assert by_subject["CloudFront"].status == "warn" and "verified" in by_subject["CloudFront"].message
    assert by_subject["templates"].status == "ok"


def test_a_template_over_cloudformations_limits_fails(account: StubbedAccount, tmp_path: Path) -> None:
    account.answer(8)
    for component in COMPONENTS:
        (tmp_path / f"{component}.yaml").write_text((TEMPLATE_DIR / f"{component}.yaml").read_text())
    big = (TEMPLATE_DIR / "alarms.yaml").read_text() + "#" * 1_000_000 + "\n"
    (tmp_path / "alarms.yaml").write_text(big)

    findings = run_preflight(account.client, DeployOptions(project="unit"), "eu-west-1", tmp_path, COMPONENTS)

    (templates,) = [f for f in findings if f.subject == "templates"]
    assert templates.status == "fail" and "alarms.yaml" in templates.message


def test_the_deploy_stops_before_creating_anything_when_a_check_fails(account: StubbedAccount) -> None:
    account.answer(1)  # far below what a deploy needs
    options = DeployOptions(project="unit", cloudfront_prefix_list_id="pl-4fa04526")
    deployer = AwsDeployer(options=options, client=account.client, run=_no_commands)

    with pytest.raises(DeployFailure, match=f"Fargate vCPUs: 1 granted.*{FARGATE_VCPU_QUOTA}"):
        deployer.deploy()  # the stubs hold no CreateStack, no CreateServiceLinkedRole: none was made


def _no_commands(*args: Any, **kwargs: Any) -> Any:
    raise AssertionError(f"no command may run: {args}")


