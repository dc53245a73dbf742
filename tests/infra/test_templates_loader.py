"""deploy.templates: CloudFormation YAML with short-form tags -> plain long-form data."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from deploy.templates import (
    MAX_TEMPLATE_BODY_BYTES,
    TemplateError,
    load_template,
    load_template_text,
    template_body,
)
from tests.infra.support import TEMPLATE_DIR


def _value(yaml_value: str) -> object:
    text = "Resources: {}\nValue: " + yaml_value + "\n"
    return load_template_text(text)["Value"]


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("!Ref Bucket", {"Ref": "Bucket"}),
        ("!Ref AWS::Region", {"Ref": "AWS::Region"}),
        ("!GetAtt Queue.Arn", {"Fn::GetAtt": ["Queue", "Arn"]}),
        ("!GetAtt Db.Endpoint.Address", {"Fn::GetAtt": ["Db", "Endpoint.Address"]}),
        ("!GetAtt [Queue, Arn]", {"Fn::GetAtt": ["Queue", "Arn"]}),
        ('!Sub "${AWS::StackName}-x"', {"Fn::Sub": "${AWS::StackName}-x"}),
        ("!Sub ['${A}-b', {A: !Ref P}]", {"Fn::Sub": ["${A}-b", {"A": {"Ref": "P"}}]}),
        ("!Join [',', [a, !Ref B]]", {"Fn::Join": [",", ["a", {"Ref": "B"}]]}),
        ("!Select [0, !GetAZs '']", {"Fn::Select": [0, {"Fn::GetAZs": ""}]}),
        ("!If [IsProd, 1, !Ref AWS::NoValue]", {"Fn::If": ["IsProd", 1, {"Ref": "AWS::NoValue"}]}),
        ("!Equals [!Ref Env, prod]", {"Fn::Equals": [{"Ref": "Env"}, "prod"]}),
        ("!Not [!Condition IsProd]", {"Fn::Not": [{"Condition": "IsProd"}]}),
        ("!And [!Condition A, !Condition B]", {"Fn::And": [{"Condition": "A"}, {"Condition": "B"}]}),
        ("!Or [!Condition A, !Condition B]", {"Fn::Or": [{"Condition": "A"}, {"Condition": "B"}]}),
        ("!ImportValue net-VpcId", {"Fn::ImportValue": "net-VpcId"}),
        ("!ImportValue {'Fn::Sub': '${Net}-VpcId'}", {"Fn::ImportValue": {"Fn::Sub": "${Net}-VpcId"}}),
        ("!FindInMap [M, !Ref AWS::Region, Ami]", {"Fn::FindInMap": ["M", {"Ref": "AWS::Region"}, "Ami"]}),
        ("!Split [',', 'a,b']", {"Fn::Split": [",", "a,b"]}),
        ("!Base64 hello", {"Fn::Base64": "hello"}),
        ("!Cidr [10.0.0.0/16, 4, 8]", {"Fn::Cidr": ["10.0.0.0/16", 4, 8]}),
        ("!Condition IsProd", {"Condition": "IsProd"}),
    ],
)
def test_short_form_tags_become_long_form(source: str, expected: object) -> None:
    assert _value(source) == expected


def test_block_style_and_nesting() -> None:
    text = textwrap.dedent(
        """
        AWSTemplateFormatVersion: 2010-09-09
        Resources:
          Topic:
            Type: AWS::SNS::Topic
            Properties:
              TopicName: !Join
                - "-"
                - - !Ref Project
                  - !Select [1, !Split ["-", !Sub "${AWS::StackName}-events"]]
        """
    )
    template = load_template_text(text)
    assert template["AWSTemplateFormatVersion"] == "2010-09-09"  # unquoted dates stay strings
    assert template["Resources"]["Topic"]["Properties"]["TopicName"] == {
        "Fn::Join": [
            "-",
            [
                {"Ref": "Project"},
                {"Fn::Select": [1, {"Fn::Split": ["-", {"Fn::Sub": "${AWS::StackName}-events"}]}]},
            ],
        ]
    }


@pytest.mark.parametrize(
    "text",
    [
        "Resources: {}\nValue: !Bogus x\n",
        "Resources: {}\nValue: !GetAtt NoDot\n",
        "Value: 1\n",  # no Resources
        "Resources: [\n",  # not YAML
    ],
)
def test_invalid_templates_are_refused(text: str) -> None:
    with pytest.raises(TemplateError):
        load_template_text(text)


def test_json_templates_load_too() -> None:
    assert load_template_text('{"Resources": {"T": {"Type": "AWS::SNS::Topic"}}}')["Resources"]["T"] == {
        "Type": "AWS::SNS::Topic"
    }


@pytest.mark.parametrize("name", ["data.yaml", "messaging.yaml"])
def test_project_templates_load(name: str) -> None:
    template = load_template(TEMPLATE_DIR / name)
    assert template["Resources"]
    assert template_body(TEMPLATE_DIR / name) == (TEMPLATE_DIR / name).read_text(encoding="utf-8")


def test_template_body_refuses_oversized_templates(tmp_path: Path) -> None:
    big = tmp_path / "big.yaml"
    big.write_text("Resources: {}\n" + "#" * MAX_TEMPLATE_BODY_BYTES + "\n", encoding="utf-8")
    with pytest.raises(TemplateError, match="TemplateURL"):
        template_body(big)


def test_missing_file_is_a_template_error(tmp_path: Path) -> None:
    with pytest.raises(TemplateError, match="cannot read"):
        load_template(tmp_path / "absent.yaml")
