"""A template's ``Rules``, checked as CloudFormation checks them: before a stack changes at all.

CloudFormation evaluates a template's rules against the parameter values of ``CreateStack``,
``UpdateStack`` and ``CreateChangeSet`` (the template's defaults, then the values given, then those
kept with ``UsePreviousValue``) and refuses the request with a ``ValidationError`` whose message is
the ``AssertDescription`` of an assertion that fails, before it creates or changes anything. moto
ignores rules, so a bad combination (a Fargate CPU size with a memory size Fargate does not run, a
domain name without its certificate) went through here and failed late, or never, on AWS only.

Rule functions: ``Fn::And``, ``Fn::Contains``, ``Fn::Equals``, ``Fn::Not``, ``Fn::Or`` and ``Ref``
(a parameter, ``AWS::Region`` or ``AWS::AccountId``). A rule that uses another is not evaluated:
it is let through, as moto let every rule through.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from moto.cloudformation.exceptions import ValidationError
from moto.cloudformation.models import CloudFormationBackend, Stack

__all__ = ["broken_rules", "install"]


class _Unsupported(ValueError):
    """A rule function this module does not evaluate: the rule is not checked."""


def _evaluate(node: Any, values: Mapping[str, str]) -> Any:
    if isinstance(node, list):
        return [_evaluate(item, values) for item in node]
    if not isinstance(node, Mapping):
        return _string(node)
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


def _string(value: Any) -> str:
    """A template's value as CloudFormation's string form of it (a YAML boolean is ``true``)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def broken_rules(template: Mapping[str, Any], values: Mapping[str, str]) -> list[str]:
    """The ``AssertDescription`` of each assertion that ``values`` (every parameter's, and the
    pseudo parameters') break, in the template's order; ``"<rule>: assertion failed"`` for one
    without a description."""
    broken = []
    for name, rule in (template.get("Rules") or {}).items():
        try:
            if "RuleCondition" in rule and not _evaluate(rule["RuleCondition"], values):
                continue
            for assertion in rule.get("Assertions", []):
                if not _evaluate(assertion["Assert"], values):
                    broken.append(str(assertion.get("AssertDescription") or f"{name}: assertion failed"))
        except _Unsupported:
            continue
    return broken


def _refuse_broken(backend: CloudFormationBackend, template: str, given: Mapping[str, Any]) -> None:
    """Raise CloudFormation's ValidationError when ``given`` (over the template's defaults) breaks
    a rule of ``template``."""
    parsed = Stack.parse_template(template)
    if not isinstance(parsed, Mapping) or not parsed.get("Rules"):
        return
    declared: Mapping[str, Any] = parsed.get("Parameters") or {}
    values = {
        "AWS::Region": backend.region_name,
        "AWS::AccountId": backend.account_id,
        **{name: _string(spec["Default"]) for name, spec in declared.items() if "Default" in spec},
        **{name: _string(value) for name, value in given.items()},
    }
    if broken := broken_rules(parsed, values):
        raise ValidationError(message=broken[0])


def install() -> None:
    create_stack: Callable[..., Any] = CloudFormationBackend.create_stack
    update_stack: Callable[..., Any] = CloudFormationBackend.update_stack
    create_change_set: Callable[..., Any] = CloudFormationBackend.create_change_set

    def checked_create_stack(
        self: CloudFormationBackend, name: str, template: str, parameters: dict[str, Any], *args: Any, **kwargs: Any
    ) -> Any:
        _refuse_broken(self, template, parameters)
        return create_stack(self, name, template, parameters, *args, **kwargs)

    def checked_update_stack(
        self: CloudFormationBackend, name: str, template: str, role_arn: str | None, parameters: list[dict[str, Any]],
        *args: Any, **kwargs: Any,
    ) -> Any:
        resolved = self._resolve_update_parameters(instance=self.get_stack(name), incoming_params=parameters)
        _refuse_broken(self, template, resolved)
        return update_stack(self, name, template, role_arn, parameters, *args, **kwargs)

    def checked_create_change_set(
        self: CloudFormationBackend, stack_name: str, change_set_name: str, template: str,
        parameters: dict[str, str], *args: Any, **kwargs: Any,
    ) -> Any:
        _refuse_broken(self, template, parameters)
        return create_change_set(self, stack_name, change_set_name, template, parameters, *args, **kwargs)

    CloudFormationBackend.create_stack = checked_create_stack  # type: ignore[method-assign]
    CloudFormationBackend.update_stack = checked_update_stack  # type: ignore[method-assign]
    CloudFormationBackend.create_change_set = checked_create_change_set  # type: ignore[method-assign]
