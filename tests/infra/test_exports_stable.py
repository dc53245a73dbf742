"""Exports that other stacks import never change with the deploy command's options.

CloudFormation refuses to update a stack when an export another stack imports would change value
("Cannot update export ... as it is in use by ..."), so switching an option on an existing
deployment (HTTPS after an HTTP first deploy, say) must leave every export as it was. Each export's
value is evaluated here, as far as the template decides it, under the parameters the deploy command
passes for each choice of options; the emulator does not enforce the rule (moto never checks an
export's importers), so it is checked on the templates."""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from typing import Any

import pytest

from deploy.aws import COMPONENTS, DeployOptions, stack_parameters
from deploy.templates import load_template
from tests.infra.support import TEMPLATE_DIR

CERTIFICATE = "arn:aws:acm:us-east-1:111122223333:certificate/0f0e0d0c-0b0a-0908-0706-050403020100"
#: Every choice the deploy command offers, each a way an existing deployment may be updated.
_CHOICES: dict[str, dict[str, Any]] = {
    "http": {},
    "https": {"certificate_arn": CERTIFICATE, "api_domain_name": "api.example.com"},
    "single-nat": {"nat": "one"},
    "no-nat": {"nat": "none", "small_workers": True},
}
OPTION_SETS = {
    name: DeployOptions(project="prod", cloudfront_prefix_list_id="pl-3b927c52", **choices)
    for name, choices in _CHOICES.items()
}
OUTPUTS = {
    "ingress": {
        "OriginDomainName": "alb.example.com",
        "OriginProtocolPolicy": "http-only",
        "LoadBalancerScheme": "internal",
        "LoadBalancerArn": "arn:aws:elasticloadbalancing:us-east-1:111122223333:loadbalancer/app/unit/0123456789abcdef",
    },
    "website": {"WebsiteUrl": "https://d1.cloudfront.net"},
}


@functools.cache
def _template(component: str) -> dict[str, Any]:
    return load_template(TEMPLATE_DIR / f"{component}.yaml")


class _Evaluator:
    """What the template alone makes of a value: parameters and conditions resolved, resources and
    pseudo parameters left as named placeholders (a resource whose condition is false as absent)."""

    def __init__(self, template: Mapping[str, Any], parameters: Mapping[str, str]) -> None:
        self.template = template
        declared = template.get("Parameters") or {}
        self.parameters = {name: str(spec["Default"]) for name, spec in declared.items() if "Default" in spec}
        self.parameters.update(parameters)

    def condition(self, name: str) -> bool:
        return bool(self.value(self.template["Conditions"][name]))

    def ref(self, name: str) -> Any:
        if name in self.parameters:
            return self.parameters[name]
        resource = self.template["Resources"].get(name)
        if resource is not None and "Condition" in resource and not self.condition(resource["Condition"]):
            return f"<absent {name}>"
        return f"<{name}>"

    def sub(self, text: str, variables: Mapping[str, Any]) -> str:
        def replace(match: re.Match[str]) -> str:
            name = match.group(1)
            if name in variables:
                return str(self.value(variables[name]))
            resource, _, attribute = name.partition(".")
            return str(self.ref(resource)) + (f".{attribute}" if attribute else "")

        return re.sub(r"\$\{([\w:.]+)\}", replace, text)

    def value(self, node: Any) -> Any:
        if isinstance(node, list):
            return [self.value(item) for item in node]
        if not isinstance(node, dict):
            return node
        if len(node) == 1:
            ((key, argument),) = node.items()
            if key == "Ref":
                return self.ref(argument)
            if key == "Condition":
                return self.condition(argument)
            if key == "Fn::If":
                return self.value(argument[1] if self.condition(argument[0]) else argument[2])
            if key == "Fn::Equals":
                return str(self.value(argument[0])) == str(self.value(argument[1]))
            if key == "Fn::Not":
                return not self.value(argument[0])
            if key == "Fn::And":
                return all(self.value(item) for item in argument)
            if key == "Fn::Or":
                return any(self.value(item) for item in argument)
            if key == "Fn::GetAtt":
                return f"{self.ref(argument[0])}.{argument[1]}"
            if key == "Fn::Sub":
                text, variables = (argument, {}) if isinstance(argument, str) else argument
                return self.sub(text, variables)
        return {key: self.value(item) for key, item in node.items()}


def _exports(component: str, options: DeployOptions) -> dict[str, Any]:
    template = _template(component)
    evaluator = _Evaluator(template, stack_parameters(component, options, "0123abc", OUTPUTS))
    return {
        str(evaluator.value(output["Export"]["Name"])): evaluator.value(output["Value"])
        for output in (template.get("Outputs") or {}).values()
        if "Export" in output
    }


@pytest.mark.parametrize("component", COMPONENTS)
def test_no_export_changes_with_the_options(component: str) -> None:
    exports = {name: _exports(component, options) for name, options in OPTION_SETS.items()}
    first, *others = exports
    for other in others:
        changed = {
            export: (value, exports[other].get(export))
            for export, value in exports[first].items()
            if exports[other].get(export) != value
        }
        assert changed == {}, f"{component}: exports that change between {first} and {other}: {changed}"
        assert exports[other].keys() == exports[first].keys(), f"{component}: exports appear or vanish"


def test_the_evaluation_sees_what_a_certificate_changes() -> None:
    # The outputs the website takes as parameters do change: were they exported, the test above would fail.
    outputs = _template("ingress")["Outputs"]
    http = _Evaluator(_template("ingress"), stack_parameters("ingress", OPTION_SETS["http"], "x", OUTPUTS))
    https = _Evaluator(_template("ingress"), stack_parameters("ingress", OPTION_SETS["https"], "x", OUTPUTS))
    for name in ("OriginDomainName", "OriginProtocolPolicy", "ApiUrl"):
        assert http.value(outputs[name]["Value"]) != https.value(outputs[name]["Value"]), name
        assert "Export" not in outputs[name], name
