"""A template's Rules refuse a stack create, update or change set as CloudFormation does: a
ValidationError naming the assertion's AssertDescription, and nothing changed."""

from __future__ import annotations

import json
import uuid
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

TEMPLATE = json.dumps(
    {
        "Parameters": {
            "Size": {"Type": "String", "Default": "small"},
            "Domain": {"Type": "String", "Default": ""},
            "Certificate": {"Type": "String", "Default": ""},
        },
        "Rules": {
            "DomainNeedsCertificate": {
                "RuleCondition": {"Fn::Not": [{"Fn::Equals": [{"Ref": "Domain"}, ""]}]},
                "Assertions": [
                    {
                        "Assert": {"Fn::Not": [{"Fn::Equals": [{"Ref": "Certificate"}, ""]}]},
                        "AssertDescription": "A Domain needs a Certificate.",
                    }
                ],
            },
            "KnownSize": {
                "Assertions": [
                    {
                        "Assert": {"Fn::Contains": [["small", "large"], {"Ref": "Size"}]},
                        "AssertDescription": "Size is small or large.",
                    }
                ]
            },
            "ThisRegionOnly": {
                "Assertions": [
                    {
                        "Assert": {"Fn::Equals": [{"Ref": "AWS::Region"}, "us-east-1"]},
                        "AssertDescription": "Only in us-east-1.",
                    }
                ]
            },
        },
        "Resources": {"Topic": {"Type": "AWS::SNS::Topic"}},
    }
)


@pytest.fixture(scope="module")
def session() -> boto3.session.Session:
    return boto3.session.Session(region_name="us-east-1")


@pytest.fixture
def cfn(emulator: str, session: boto3.session.Session) -> Any:
    return session.client("cloudformation", endpoint_url=emulator)


def _parameters(**values: str) -> list[dict[str, Any]]:
    return [{"ParameterKey": key, "ParameterValue": value} for key, value in values.items()]


def _refusal(error: pytest.ExceptionInfo[ClientError]) -> tuple[str, str]:
    details = error.value.response["Error"]
    return details["Code"], details["Message"]


def _stacks(cfn: Any) -> set[str]:
    summaries = cfn.list_stacks()["StackSummaries"]
    return {stack["StackName"] for stack in summaries if stack["StackStatus"] != "DELETE_COMPLETE"}


def test_a_create_that_breaks_a_rule_is_refused_with_its_description_and_creates_nothing(cfn: Any) -> None:
    name = f"rules-{uuid.uuid4().hex[:8]}"

    with pytest.raises(ClientError) as refused:
        cfn.create_stack(StackName=name, TemplateBody=TEMPLATE, Parameters=_parameters(Domain="api.example.com"))

    assert _refusal(refused) == ("ValidationError", "A Domain needs a Certificate.")
    assert name not in _stacks(cfn)


def test_a_default_that_breaks_no_rule_and_a_rule_whose_condition_is_false_let_a_create_through(cfn: Any) -> None:
    name = f"rules-{uuid.uuid4().hex[:8]}"

    cfn.create_stack(StackName=name, TemplateBody=TEMPLATE)

    assert name in _stacks(cfn)


def test_an_update_is_checked_with_the_values_it_keeps(cfn: Any) -> None:
    # GIVEN a stack with a domain and its certificate
    name = f"rules-{uuid.uuid4().hex[:8]}"
    cfn.create_stack(StackName=name, TemplateBody=TEMPLATE,
                     Parameters=_parameters(Domain="api.example.com", Certificate="arn:cert"))

    # WHEN an update keeps the domain but clears the certificate
    with pytest.raises(ClientError) as refused:
        cfn.update_stack(
            StackName=name,
            TemplateBody=TEMPLATE,
            Parameters=[{"ParameterKey": "Domain", "UsePreviousValue": True}, *_parameters(Certificate="")],
        )

    # THEN it is refused, and the stack keeps its certificate
    assert _refusal(refused) == ("ValidationError", "A Domain needs a Certificate.")
    (stack,) = cfn.describe_stacks(StackName=name)["Stacks"]
    assert {p["ParameterKey"]: p["ParameterValue"] for p in stack["Parameters"]}["Certificate"] == "arn:cert"


def test_a_change_set_that_breaks_a_rule_is_refused(cfn: Any) -> None:
    name = f"rules-{uuid.uuid4().hex[:8]}"

    with pytest.raises(ClientError) as refused:
        cfn.create_change_set(StackName=name, ChangeSetName="first", ChangeSetType="CREATE",
                              TemplateBody=TEMPLATE, Parameters=_parameters(Size="medium"))

    assert _refusal(refused) == ("ValidationError", "Size is small or large.")


def test_a_rule_on_a_pseudo_parameter_is_checked_in_the_stacks_region(emulator: str) -> None:
    cfn = boto3.session.Session(region_name="eu-west-1").client("cloudformation", endpoint_url=emulator)

    with pytest.raises(ClientError) as refused:
        cfn.create_stack(StackName=f"rules-{uuid.uuid4().hex[:8]}", TemplateBody=TEMPLATE)

    assert _refusal(refused) == ("ValidationError", "Only in us-east-1.")
