"""deploy.stacks: parameter checks, create/update/no-op against moto, failure reporting."""

from __future__ import annotations

import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError, WaiterError

from deploy.local import MESSAGING_TEMPLATE
from deploy.stacks import DeployError, check_parameters, deploy_stack, stack_outputs, stack_status
from deploy.templates import MAX_TEMPLATE_BODY_BYTES, S3TemplateStore, TemplateError, load_template

QUEUE_TEMPLATE = textwrap.dedent(
    """
    AWSTemplateFormatVersion: "2010-09-09"
    Parameters:
      Name: {Type: String, AllowedPattern: "^[a-z-]+$"}
      # String, not Number: moto compares Number parameters as int against the incoming strings,
      # so it never recognises an unchanged stack that has one (it "updates" it, changing nothing).
      Timeout: {Type: String, Default: "30", AllowedPattern: "^[0-9]+$"}
    Resources:
      Queue:
        Type: AWS::SQS::Queue
        Properties:
          QueueName: !Ref Name
          VisibilityTimeout: !Ref Timeout
    Outputs:
      QueueUrl: {Value: !Ref Queue}
      QueueArn: {Value: !GetAtt Queue.Arn}
    """
)


# ---------------------------------------------------------------------------- check_parameters
def test_check_parameters_accepts_valid_values() -> None:
    template = load_template(MESSAGING_TEMPLATE)
    assert check_parameters(template, {"ProjectName": "mysfits", "MaxReceiveCount": "5"}) == []
    assert check_parameters(template, {}) == []  # every parameter has a default


@pytest.mark.parametrize(
    ("parameters", "problem"),
    [
        ({"ProjectName": "Mysfits"}, "ProjectName: 'Mysfits' does not match"),
        ({"ProjectName": "my_fits"}, "does not match"),
        ({"MaxReceiveCount": "0"}, "MaxReceiveCount: 0 is below 1"),
        ({"MaxReceiveCount": "five"}, "is not a number"),
        ({"VisibilityTimeout": "50000"}, "is above 43200"),
        ({"Nope": "x"}, "Nope: not a parameter"),
    ],
)
def test_check_parameters_reports_problems(parameters: dict[str, str], problem: str) -> None:
    problems = check_parameters(load_template(MESSAGING_TEMPLATE), parameters)
    assert any(problem in p for p in problems), problems


def test_required_parameters_must_be_given() -> None:
    template = {"Parameters": {"Name": {"Type": "String"}}, "Resources": {}}
    assert check_parameters(template, {}) == ["Name: a value is required"]


def test_invalid_parameters_fail_before_any_call(tmp_path: Path) -> None:
    class NoCalls:
        def __getattr__(self, name: str) -> Any:
            raise AssertionError(f"unexpected call {name}")

    path = tmp_path / "queue.yaml"
    path.write_text(QUEUE_TEMPLATE, encoding="utf-8")
    with pytest.raises(DeployError, match="invalid parameters") as info:
        deploy_stack(NoCalls(), "s", path, {"Name": "UPPER"})
    assert info.value.reasons == ["Name: 'UPPER' does not match '^[a-z-]+$'"]


# ---------------------------------------------------------------------------- against moto
@pytest.fixture(scope="module")
def cfn(emulator: str) -> Any:
    return boto3.session.Session(region_name="us-east-1").client("cloudformation", endpoint_url=emulator)


def test_create_then_no_op_then_update(cfn: Any, emulator: str, tmp_path: Path) -> None:
    path = tmp_path / "queue.yaml"
    path.write_text(QUEUE_TEMPLATE, encoding="utf-8")
    stack = "stacks-test-queue"
    assert stack_status(cfn, stack) is None

    created = deploy_stack(cfn, stack, path, {"Name": "stacks-test"}, poll_delay=0.2)
    assert created["QueueUrl"].endswith("/stacks-test")
    assert stack_status(cfn, stack) == "CREATE_COMPLETE"

    assert deploy_stack(cfn, stack, path, {"Name": "stacks-test"}, poll_delay=0.2) == created
    assert stack_status(cfn, stack) == "CREATE_COMPLETE"  # "No updates are to be performed": untouched

    updated = deploy_stack(cfn, stack, path, {"Name": "stacks-test", "Timeout": "45"}, poll_delay=0.2)
    assert updated == created == stack_outputs(cfn, stack)
    assert stack_status(cfn, stack) == "UPDATE_COMPLETE"
    sqs = boto3.session.Session(region_name="us-east-1").client("sqs", endpoint_url=emulator)
    timeout = sqs.get_queue_attributes(QueueUrl=created["QueueUrl"], AttributeNames=["VisibilityTimeout"])
    assert timeout["Attributes"]["VisibilityTimeout"] == "45"


def test_a_template_too_big_to_send_inline_goes_through_s3(cfn: Any, emulator: str, tmp_path: Path) -> None:
    # GIVEN a template over TemplateBody's 51,200 bytes, and the deploy's templates bucket
    path = tmp_path / "big.yaml"
    path.write_text(QUEUE_TEMPLATE + "#" * MAX_TEMPLATE_BODY_BYTES + "\n", encoding="utf-8")
    s3 = boto3.session.Session(region_name="us-east-1").client("s3", endpoint_url=emulator)
    s3.create_bucket(Bucket="stacks-test-templates")

    # WHEN it is deployed with the bucket
    store = S3TemplateStore(s3, "stacks-test-templates")
    created = deploy_stack(
        cfn, "stacks-test-big", path, {"Name": "stacks-test-big"}, template_store=store, poll_delay=0.2
    )

    # THEN CloudFormation read it from the bucket
    assert created["QueueUrl"].endswith("/stacks-test-big")
    (uploaded,) = s3.list_objects_v2(Bucket="stacks-test-templates")["Contents"]
    assert uploaded["Key"].startswith("stacks-test-big/") and uploaded["Size"] > MAX_TEMPLATE_BODY_BYTES
    with pytest.raises(TemplateError, match="TemplateURL"):  # and without one, nothing is sent
        deploy_stack(cfn, "stacks-test-big-inline", path, {"Name": "stacks-test-big"}, poll_delay=0.2)


def test_a_refused_request_is_a_deploy_error(cfn: Any, tmp_path: Path) -> None:
    path = tmp_path / "queue.yaml"
    path.write_text(QUEUE_TEMPLATE.replace('"^[a-z-]+$"', '".*"'), encoding="utf-8")
    with pytest.raises(DeployError, match=r"stacks-test-bad.*InvalidParameterValue"):
        deploy_stack(cfn, "stacks-test-bad", path, {"Name": "not a valid queue name"}, poll_delay=0.2)


def test_outputs_of_a_missing_stack(cfn: Any) -> None:
    with pytest.raises(DeployError, match="does not exist"):
        stack_outputs(cfn, "never-deployed")


# ---------------------------------------------------------------------------- failure reporting
class FakeCloudFormation:
    """Just enough of a CloudFormation client to play a failed creation, as AWS reports it."""

    def __init__(self, status: str | None, fail: set[str]) -> None:
        self.status = status
        self.fail = fail
        self.calls: list[str] = []
        self.events: list[dict[str, Any]] = [  # newest first, like DescribeStackEvents
            {"LogicalResourceId": "Old", "ResourceType": "AWS::SQS::Queue", "ResourceStatus": "CREATE_FAILED"},
        ]

    def describe_stacks(self, StackName: str) -> dict[str, Any]:
        self.calls.append("describe_stacks")
        if self.status is None:
            error = {"Code": "ValidationError", "Message": f"Stack with id {StackName} does not exist"}
            raise ClientError({"Error": error}, "DescribeStacks")
        stack = {
            "StackName": StackName,
            "StackStatus": self.status,
            "Outputs": [{"OutputKey": "K", "OutputValue": "V"}],
        }
        if self.status == "ROLLBACK_COMPLETE":
            stack["StackStatusReason"] = "The following resource(s) failed to create: [Queue]."
        return {"Stacks": [stack]}

    def create_stack(self, **kwargs: Any) -> None:
        self.calls.append("create_stack")
        if "create" in self.fail:
            self.status = "ROLLBACK_COMPLETE"
            stack = {"LogicalResourceId": kwargs["StackName"], "ResourceType": "AWS::CloudFormation::Stack"}
            self.events[:0] = [
                {**stack, "ResourceStatus": "ROLLBACK_COMPLETE"},
                {"LogicalResourceId": "Queue", "ResourceType": "AWS::SQS::Queue", "ResourceStatus": "DELETE_COMPLETE"},
                {
                    "LogicalResourceId": "Queue",
                    "ResourceType": "AWS::SQS::Queue",
                    "ResourceStatus": "CREATE_FAILED",
                    "ResourceStatusReason": "Resource handler returned message: queue name taken",
                },
                {**stack, "ResourceStatus": "CREATE_IN_PROGRESS", "ResourceStatusReason": "User Initiated"},
            ]
        else:
            self.status = "CREATE_COMPLETE"

    def delete_stack(self, StackName: str) -> None:
        self.calls.append("delete_stack")
        self.status = None

    def get_waiter(self, name: str) -> Any:
        fake = self

        class Waiter:
            def wait(self, **kwargs: Any) -> None:
                fake.calls.append(name)
                if fake.status in ("ROLLBACK_COMPLETE", "CREATE_FAILED") and name == "stack_create_complete":
                    raise WaiterError(name, "Waiter encountered a terminal failure state", {})

        return Waiter()

    def get_paginator(self, name: str) -> Any:
        assert name == "describe_stack_events"
        events = self.events

        class Paginator:
            def paginate(self, **kwargs: Any) -> Iterator[dict[str, Any]]:
                yield {"StackEvents": events}

        return Paginator()


def test_a_failed_creation_reports_the_resource_reasons(tmp_path: Path) -> None:
    path = tmp_path / "queue.yaml"
    path.write_text(QUEUE_TEMPLATE, encoding="utf-8")
    fake = FakeCloudFormation(status=None, fail={"create"})
    with pytest.raises(DeployError) as info:
        deploy_stack(fake, "app", path, {"Name": "app"}, poll_delay=0.1)
    assert info.value.reasons == [
        "Queue (AWS::SQS::Queue) CREATE_FAILED: Resource handler returned message: queue name taken",
        "stack ROLLBACK_COMPLETE: The following resource(s) failed to create: [Queue].",
    ]
    assert "queue name taken" in str(info.value)


@pytest.mark.parametrize("status", ["ROLLBACK_COMPLETE", "CREATE_FAILED", "ROLLBACK_FAILED"])
def test_a_stack_left_by_a_failed_creation_is_recreated(tmp_path: Path, status: str) -> None:
    path = tmp_path / "queue.yaml"
    path.write_text(QUEUE_TEMPLATE, encoding="utf-8")
    fake = FakeCloudFormation(status=status, fail=set())
    assert deploy_stack(fake, "app", path, {"Name": "app"}, poll_delay=0.1) == {"K": "V"}
    assert [c for c in fake.calls if c != "describe_stacks"] == [
        "delete_stack",
        "stack_delete_complete",
        "create_stack",
        "stack_create_complete",
    ]
