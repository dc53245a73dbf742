"""deploy.intrinsics: evaluating intrinsic functions against a (fake) deployed stack."""

from __future__ import annotations

import base64
from typing import Any

import pytest

from deploy.intrinsics import NO_VALUE, IntrinsicResolver, ResolveError
from deploy.templates import load_template_text

TEMPLATE = load_template_text(
    """
Parameters:
  Env: {Type: String, Default: dev}
  Subnets: {Type: CommaDelimitedList}
Mappings:
  Sizes:
    dev: {Count: 1}
    prod: {Count: 3}
Conditions:
  IsProd: !Equals [!Ref Env, prod]
  IsDev: !Not [!Condition IsProd]
  Both: !And [!Condition IsDev, !Equals [a, a]]
  Either: !Or [!Condition IsProd, !Condition IsDev]
  Loop: !Condition Loop
Resources:
  Queue: {Type: AWS::SQS::Queue}
  ProdOnly: {Type: AWS::SQS::Queue, Condition: IsProd}
"""
)


def _resolver(**parameters: str) -> IntrinsicResolver:
    calls: list[tuple[str, str]] = []

    def get_att(logical_id: str, attribute: str) -> Any:
        calls.append((logical_id, attribute))
        return f"{logical_id}:{attribute}"

    return IntrinsicResolver(
        TEMPLATE,
        parameters={"Env": "dev", "Subnets": "a, b,c", **parameters},
        pseudo_parameters={"AWS::Region": "eu-west-1", "AWS::AccountId": "111122223333"},
        physical_ids={"Queue": "https://sqs/q"},
        get_att=get_att,
        import_value=lambda name: f"export:{name}",
    )


def _resolve(yaml_value: str, **parameters: str) -> Any:
    value = load_template_text("Resources: {}\nV: " + yaml_value + "\n")["V"]
    return _resolver(**parameters).resolve(value)


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("!Ref Env", "dev"),
        ("!Ref Queue", "https://sqs/q"),
        ("!Ref AWS::Region", "eu-west-1"),
        ("!Ref Subnets", ["a", "b", "c"]),
        ("!GetAtt Queue.Arn", "Queue:Arn"),
        ('!Sub "${Env}-${AWS::AccountId}-${Queue}-${Queue.Arn}"', "dev-111122223333-https://sqs/q-Queue:Arn"),
        ('!Sub "${!Literal}-${ Env }"', "${Literal}-dev"),
        ("!Sub ['${X}/${Env}', {X: !Ref AWS::Region}]", "eu-west-1/dev"),
        ("!Join ['-', [a, !Ref Env, 1]]", "a-dev-1"),
        ("!Select [1, !Split [',', 'x,y,z']]", "y"),
        ("!Select ['2', !Ref Subnets]", "c"),
        ("!If [IsProd, big, small]", "small"),
        ("!FindInMap [Sizes, !Ref Env, Count]", 1),
        ("!Base64 hi", base64.b64encode(b"hi").decode()),
        ("!ImportValue net-Vpc", "export:net-Vpc"),
        ("{'Fn::ToJsonString': {a: [1, true]}}", '{"a":[1,true]}'),
        ("{'Fn::Length': [1, 2, 3]}", 3),
        ("{Keep: 1, Drop: !Ref AWS::NoValue}", {"Keep": 1}),
        ("[1, !If [IsProd, 2, !Ref AWS::NoValue]]", [1]),
        ("{Condition: {StringEquals: {a: b}}}", {"Condition": {"StringEquals": {"a": "b"}}}),  # IAM, not Fn
    ],
)
def test_resolve(source: str, expected: Any) -> None:
    assert _resolve(source) == expected


def test_conditions() -> None:
    dev, prod = _resolver(), _resolver(Env="prod")
    assert [dev.condition(name) for name in ("IsProd", "IsDev", "Both", "Either")] == [False, True, True, True]
    assert [prod.condition(name) for name in ("IsProd", "IsDev", "Both", "Either")] == [True, False, False, True]
    assert dev.resource_enabled("Queue") and not dev.resource_enabled("ProdOnly")
    assert prod.resource_enabled("ProdOnly")
    assert prod.resolve({"Fn::If": ["IsProd", {"Ref": "Env"}, "x"]}) == "prod"


def test_no_value_is_a_sentinel() -> None:
    assert _resolver().resolve({"Ref": "AWS::NoValue"}) is NO_VALUE


@pytest.mark.parametrize(
    "source",
    [
        "!Ref Unknown",
        "!Ref AWS::StackName",  # a pseudo parameter the resolver was not given
        '!Sub "${Unknown}"',
        "!If [Nope, a, b]",
        "!Condition Loop",
        "!FindInMap [Sizes, test, Count]",
        "!Select [5, [a]]",
        "!GetAZs ''",
        "!Join [only-one]",
    ],
)
def test_unresolvable(source: str) -> None:
    with pytest.raises(ResolveError):
        _resolve(source)
