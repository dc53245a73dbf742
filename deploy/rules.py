"""A template's ``Rules``, checked against parameter values the way CloudFormation checks them.

CloudFormation refuses a stack whose parameters break a rule (a Fargate CPU size with a memory size
Fargate does not run, a domain name without its certificate) before it changes anything; moto
ignores rules. Checking them here makes a bad combination fail the same way, early, everywhere.
Rule functions: ``Fn::And``, ``Fn::Contains``, ``Fn::Equals``, ``Fn::Not``, ``Fn::Or`` and ``Ref``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from deploy.templates import parameter_values

__all__ = ["broken_rules"]


class _Unsupported(ValueError):
    """A rule function this module does not evaluate: the rule is left to CloudFormation."""


def _evaluate(node: Any, values: Mapping[str, str]) -> Any:
    if isinstance(node, list):
        return [_evaluate(item, values) for item in node]
    if not isinstance(node, Mapping):
        return str(node)
    if len(node) != 1:
        raise _Unsupported(str(node))
    ((function, argument),) = node.items()
    if function == "Ref":
        if argument not in values:
            raise _Unsupported(f"Ref {argument}")
        return values[argument]
    arguments = _evaluate(argument, values)
    if function == "Fn::Equals":
        return arguments[0] == arguments[1]
    if function == "Fn::Not":
        return not arguments[0]
    if function == "Fn::And":
        return all(arguments)
    if function == "Fn::Or":
        return any(arguments)
    if function == "Fn::Contains":
        return arguments[1] in arguments[0]
    raise _Unsupported(function)


def broken_rules(template: Mapping[str, Any], parameters: Mapping[str, str]) -> list[str]:
    """``"<rule>: <assertion's description>"`` for each assertion the parameters (over the
    template's defaults) break."""
    values = parameter_values(template, parameters)
    problems = []
    for name, rule in (template.get("Rules") or {}).items():
        try:
            if "RuleCondition" in rule and not _evaluate(rule["RuleCondition"], values):
                continue
            for assertion in rule.get("Assertions", []):
                if not _evaluate(assertion["Assert"], values):
                    problems.append(f"{name}: {assertion.get('AssertDescription', 'assertion failed')}")
        except _Unsupported:
            continue
    return problems
