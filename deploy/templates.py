"""Load CloudFormation YAML templates (short-form intrinsic tags included) into plain data.

``yaml.safe_load`` rejects ``!Ref`` and friends. :func:`load_template` turns every short form into
the long form that CloudFormation itself uses in JSON templates::

    !Ref Bucket                  -> {"Ref": "Bucket"}
    !GetAtt Queue.Arn            -> {"Fn::GetAtt": ["Queue", "Arn"]}
    !GetAtt [Queue, Arn]         -> {"Fn::GetAtt": ["Queue", "Arn"]}
    !Sub "${AWS::StackName}-x"   -> {"Fn::Sub": "${AWS::StackName}-x"}
    !Condition IsProd            -> {"Condition": "IsProd"}
    !Join [",", [a, b]]          -> {"Fn::Join": [",", ["a", "b"]]}

Like CloudFormation, unquoted dates (``AWSTemplateFormatVersion: 2010-09-09``) stay strings.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

__all__ = [
    "MAX_TEMPLATE_BODY_BYTES",
    "S3TemplateStore",
    "TemplateError",
    "fits_template_body",
    "load_template",
    "load_template_text",
    "parameter_value",
    "parameter_values",
    "template_body",
    "template_text",
]

#: CloudFormation's limit for a template passed inline as ``TemplateBody`` (bigger ones need S3).
MAX_TEMPLATE_BODY_BYTES = 51_200

# Short-form tag -> long-form key. "Ref" and "Condition" have no "Fn::" prefix.
_INTRINSICS: dict[str, str] = {
    "Ref": "Ref",
    "Condition": "Condition",
    **{
        name: f"Fn::{name}"
        for name in (
            "And",
            "Base64",
            "Cidr",
            "Contains",  # this and the EachMember*, RefAll and ValueOf* functions: Rules only
            "EachMemberEquals",
            "EachMemberIn",
            "Equals",
            "FindInMap",
            "GetAZs",
            "GetAtt",
            "If",
            "ImportValue",
            "Join",
            "Length",
            "Not",
            "Or",
            "RefAll",
            "Select",
            "Split",
            "Sub",
            "ToJsonString",
            "Transform",
            "ValueOf",
            "ValueOfAll",
        )
    },
}


class TemplateError(ValueError):
    """The template cannot be read or is not a CloudFormation template."""


class _CfnLoader(yaml.SafeLoader):
    """SafeLoader that understands CloudFormation's short-form intrinsic tags."""


# CloudFormation keeps unquoted dates as strings: drop the implicit timestamp resolver.
_CfnLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _construct_node(loader: yaml.SafeLoader, node: yaml.Node) -> Any:
    if isinstance(node, yaml.ScalarNode):
        return loader.construct_scalar(node)
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node, deep=True)
    if isinstance(node, yaml.MappingNode):
        return loader.construct_mapping(node, deep=True)
    raise yaml.constructor.ConstructorError(  # pragma: no cover - yaml has only three node kinds
        None, None, f"unexpected node {node!r}", node.start_mark
    )


def _construct_intrinsic(loader: yaml.SafeLoader, tag_suffix: str, node: yaml.Node) -> dict[str, Any]:
    key = _INTRINSICS.get(tag_suffix)
    if key is None:
        raise yaml.constructor.ConstructorError(
            None, None, f"unknown CloudFormation tag !{tag_suffix}", node.start_mark
        )
    value = _construct_node(loader, node)
    if key == "Fn::GetAtt" and isinstance(value, str):
        # "Resource.Attribute"; attribute names may themselves contain dots (Endpoint.Address).
        resource, sep, attribute = value.partition(".")
        if not sep or not resource or not attribute:
            raise yaml.constructor.ConstructorError(
                None, None, f"!GetAtt {value!r} is not of the form Resource.Attribute", node.start_mark
            )
        value = [resource, attribute]
    return {key: value}


_CfnLoader.add_multi_constructor("!", _construct_intrinsic)


def load_template_text(text: str) -> dict[str, Any]:
    """Parse template text (YAML or JSON) into plain dicts with long-form intrinsics."""
    try:
        data = yaml.load(text, Loader=_CfnLoader)  # _CfnLoader derives from SafeLoader
    except yaml.YAMLError as exc:
        raise TemplateError(f"invalid template: {exc}") from exc
    if not isinstance(data, dict) or not isinstance(data.get("Resources"), dict):
        raise TemplateError("a CloudFormation template is a mapping with a 'Resources' mapping")
    return data


def _read(path: str | Path) -> tuple[str, dict[str, Any]]:
    """The template's text and what it loads into; a TemplateError names the file."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise TemplateError(f"cannot read template {path}: {exc}") from exc
    try:
        return text, load_template_text(text)
    except TemplateError as exc:
        raise TemplateError(f"{path}: {exc}") from exc


def load_template(path: str | Path) -> dict[str, Any]:
    """Load the CloudFormation template at ``path`` into plain dicts with long-form intrinsics."""
    return _read(path)[1]


def template_text(path: str | Path) -> str:
    """The template's text, checked for syntax, whatever its size."""
    return _read(path)[0]


def fits_template_body(text: str) -> bool:
    """Whether CloudFormation takes ``text`` inline, as ``TemplateBody``."""
    return len(text.encode("utf-8")) <= MAX_TEMPLATE_BODY_BYTES


def template_body(path: str | Path) -> str:
    """The template text to send as CloudFormation's ``TemplateBody``, checked for size and syntax."""
    text = template_text(path)
    if not fits_template_body(text):
        raise TemplateError(
            f"{path} is {len(text.encode('utf-8'))} bytes; TemplateBody is limited to {MAX_TEMPLATE_BODY_BYTES} "
            "bytes (upload it to S3 and use TemplateURL)"
        )
    return text


@dataclass(frozen=True)
class S3TemplateStore:
    """Puts a template too big for ``TemplateBody`` in ``bucket`` and answers its ``TemplateURL``
    (CloudFormation reads it from there: up to 1 MB). Keys are the stack and the text's digest, so
    an unchanged template is the same object."""

    s3: Any
    bucket: str

    def __call__(self, stack_name: str, text: str) -> str:
        key = f"{stack_name}/{hashlib.sha256(text.encode('utf-8')).hexdigest()[:16]}.yaml"
        self.s3.put_object(Bucket=self.bucket, Key=key, Body=text.encode("utf-8"), ContentType="text/yaml")
        return f"https://{self.bucket}.s3.{self.s3.meta.region_name}.amazonaws.com/{key}"


def parameter_value(value: Any) -> str:
    """A parameter value in CloudFormation's string form: ``true``/``false``, lists comma-separated."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ",".join(parameter_value(item) for item in value)
    return str(value)


def parameter_values(template: Mapping[str, Any], parameters: Mapping[str, Any] | None = None) -> dict[str, str]:
    """The stack's parameter values as CloudFormation sees them: the template's defaults, then ``parameters``."""
    declared: Mapping[str, Any] = template.get("Parameters") or {}
    values = {
        name: parameter_value(spec["Default"])
        for name, spec in declared.items()
        if isinstance(spec, Mapping) and "Default" in spec
    }
    values.update({name: parameter_value(value) for name, value in (parameters or {}).items()})
    return values
