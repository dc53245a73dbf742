"""Evaluate CloudFormation intrinsic functions against a deployed stack.

:class:`IntrinsicResolver` resolves ``Ref``, ``Fn::GetAtt``, ``Fn::Sub``, ``Fn::Join``,
``Fn::Select``, ``Fn::Split``, ``Fn::If`` (with ``Conditions``), ``Fn::Equals``, ``Fn::Not``,
``Fn::And``, ``Fn::Or``, ``Fn::FindInMap``, ``Fn::Base64``, ``Fn::ImportValue``,
``Fn::ToJsonString`` and ``Fn::Length`` in long form (see :mod:`deploy.templates`). Knowledge of
the outside world (a resource's physical id and attributes, exports) comes from callbacks, so the
resolver itself is pure and testable.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable, Mapping
from typing import Any, Final

__all__ = ["NO_VALUE", "IntrinsicResolver", "ResolveError"]


class _NoValue:
    """``AWS::NoValue``: the property is removed."""

    def __repr__(self) -> str:
        return "NO_VALUE"


NO_VALUE: Final = _NoValue()

_SUB_VARIABLE = re.compile(r"\$\{([^}]*)\}")

_PSEUDO_PARAMETERS = frozenset(
    {
        "AWS::AccountId",
        "AWS::NotificationARNs",
        "AWS::NoValue",
        "AWS::Partition",
        "AWS::Region",
        "AWS::StackId",
        "AWS::StackName",
        "AWS::URLSuffix",
    }
)


class ResolveError(ValueError):
    """An intrinsic function cannot be evaluated."""


class IntrinsicResolver:
    """Resolve intrinsic functions of one template against one deployed stack.

    ``parameters``: the stack's parameter values (strings, as CloudFormation passes them);
    ``pseudo_parameters``: ``AWS::Region``, ``AWS::AccountId``...; ``physical_ids``: logical id ->
    physical id (what ``Ref`` returns for a resource); ``get_att(logical_id, attribute)`` and
    ``import_value(export_name)``: lookups in the live account.
    """

    def __init__(
        self,
        template: Mapping[str, Any],
        *,
        parameters: Mapping[str, str],
        pseudo_parameters: Mapping[str, Any],
        physical_ids: Mapping[str, str],
        get_att: Callable[[str, str], Any] | None = None,
        import_value: Callable[[str], str] | None = None,
    ) -> None:
        self._template = template
        self._parameter_types = {
            name: str(spec.get("Type", "String"))
            for name, spec in (template.get("Parameters") or {}).items()
            if isinstance(spec, Mapping)
        }
        self._parameters = dict(parameters)
        self._pseudo = dict(pseudo_parameters)
        self._pseudo["AWS::NoValue"] = NO_VALUE
        self._physical_ids = dict(physical_ids)
        self._get_att = get_att
        self._import_value = import_value
        self._conditions: dict[str, bool] = {}
        self._evaluating: set[str] = set()

    # ------------------------------------------------------------------ public
    def resolve(self, value: Any) -> Any:
        """``value`` with every intrinsic function evaluated (``AWS::NoValue`` entries removed)."""
        if isinstance(value, Mapping):
            if len(value) == 1:
                ((key, argument),) = value.items()
                if key == "Ref" or (key.startswith("Fn::") and key != "Fn::Transform"):
                    return self._call(key, argument)
                if key == "Condition" and isinstance(argument, str):
                    return self.condition(argument)
            resolved = {key: self.resolve(item) for key, item in value.items()}
            return {key: item for key, item in resolved.items() if item is not NO_VALUE}
        if isinstance(value, list):
            return [item for item in (self.resolve(element) for element in value) if item is not NO_VALUE]
        return value

    def condition(self, name: str) -> bool:
        """The value of the template's condition ``name``."""
        if name in self._conditions:
            return self._conditions[name]
        conditions = self._template.get("Conditions") or {}
        if name not in conditions:
            raise ResolveError(f"unknown condition {name!r}")
        if name in self._evaluating:
            raise ResolveError(f"condition {name!r} refers to itself")
        self._evaluating.add(name)
        try:
            result = self._as_bool(self.resolve(conditions[name]), f"condition {name}")
        finally:
            self._evaluating.discard(name)
        self._conditions[name] = result
        return result

    def resource_enabled(self, logical_id: str) -> bool:
        """False when the resource has a ``Condition`` that is false (it is not deployed)."""
        resource = (self._template.get("Resources") or {}).get(logical_id) or {}
        condition = resource.get("Condition")
        return True if condition is None else self.condition(str(condition))

    # ------------------------------------------------------------------ functions
    def _call(self, key: str, argument: Any) -> Any:
        handler = self._FUNCTIONS.get(key)
        if handler is None:
            raise ResolveError(f"{key} is not supported")
        return handler(self, argument)

    def _ref(self, argument: Any) -> Any:
        name = self.resolve(argument)
        if not isinstance(name, str):
            raise ResolveError(f"Ref needs a name, got {name!r}")
        if name in self._pseudo:
            return self._pseudo[name]
        if name in _PSEUDO_PARAMETERS:
            raise ResolveError(f"pseudo parameter {name} is not known here")
        if name in self._parameters:
            value = self._parameters[name]
            kind = self._parameter_types.get(name, "String")
            if kind == "CommaDelimitedList" or kind.startswith("List<"):
                return [item.strip() for item in value.split(",")] if value else []
            return value
        if name in self._physical_ids:
            return self._physical_ids[name]
        raise ResolveError(f"Ref {name!r}: neither a parameter nor a deployed resource of the stack")

    def _getatt(self, argument: Any) -> Any:
        if isinstance(argument, str):
            argument = argument.split(".", 1)
        if not isinstance(argument, list) or len(argument) != 2:
            raise ResolveError(f"Fn::GetAtt needs [resource, attribute], got {argument!r}")
        logical_id, attribute = argument[0], self.resolve(argument[1])
        if self._get_att is None:
            raise ResolveError(f"Fn::GetAtt {logical_id}.{attribute}: no attribute lookup available")
        return self._get_att(str(logical_id), str(attribute))

    def _sub(self, argument: Any) -> str:
        if isinstance(argument, str):
            text, variables = argument, {}
        elif isinstance(argument, list) and len(argument) == 2 and isinstance(argument[1], Mapping):
            text, variables = argument[0], {k: self.resolve(v) for k, v in argument[1].items()}
        else:
            raise ResolveError(f"Fn::Sub needs a string or [string, {{variables}}], got {argument!r}")
        if not isinstance(text, str):
            raise ResolveError(f"Fn::Sub needs a string, got {text!r}")

        def replace(match: re.Match[str]) -> str:
            name = match.group(1)
            if name.startswith("!"):  # ${!Literal} -> ${Literal}
                return "${" + name[1:] + "}"
            name = name.strip()
            if name in variables:
                value = variables[name]
            elif "." in name and name not in _PSEUDO_PARAMETERS:
                value = self._getatt(name.split(".", 1))
            else:
                value = self._ref(name)
            if isinstance(value, (Mapping, list)) or value is NO_VALUE:
                raise ResolveError(f"Fn::Sub variable ${{{name}}} is not a string: {value!r}")
            return _scalar_string(value)

        return _SUB_VARIABLE.sub(replace, text)

    def _join(self, argument: Any) -> str:
        argument = self.resolve(argument)
        if not isinstance(argument, list) or len(argument) != 2 or not isinstance(argument[1], list):
            raise ResolveError(f"Fn::Join needs [delimiter, [values]], got {argument!r}")
        return str(argument[0]).join(_scalar_string(item) for item in argument[1])

    def _select(self, argument: Any) -> Any:
        argument = self.resolve(argument)
        if not isinstance(argument, list) or len(argument) != 2 or not isinstance(argument[1], list):
            raise ResolveError(f"Fn::Select needs [index, [values]], got {argument!r}")
        try:
            return argument[1][int(argument[0])]
        except (ValueError, IndexError) as exc:
            raise ResolveError(f"Fn::Select {argument!r}: {exc}") from exc

    def _split(self, argument: Any) -> list[str]:
        argument = self.resolve(argument)
        if not isinstance(argument, list) or len(argument) != 2:
            raise ResolveError(f"Fn::Split needs [delimiter, string], got {argument!r}")
        return str(argument[1]).split(str(argument[0]))

    def _if(self, argument: Any) -> Any:
        if not isinstance(argument, list) or len(argument) != 3:
            raise ResolveError(f"Fn::If needs [condition, then, else], got {argument!r}")
        return self.resolve(argument[1] if self.condition(str(argument[0])) else argument[2])

    def _equals(self, argument: Any) -> bool:
        argument = self.resolve(argument)
        if not isinstance(argument, list) or len(argument) != 2:
            raise ResolveError(f"Fn::Equals needs two values, got {argument!r}")
        left, right = argument
        if isinstance(left, (str, int, float, bool)) and isinstance(right, (str, int, float, bool)):
            return _scalar_string(left) == _scalar_string(right)
        return bool(left == right)

    def _not(self, argument: Any) -> bool:
        argument = self.resolve(argument)
        if not isinstance(argument, list) or len(argument) != 1:
            raise ResolveError(f"Fn::Not needs one condition, got {argument!r}")
        return not self._as_bool(argument[0], "Fn::Not")

    def _and(self, argument: Any) -> bool:
        values = self._conditions_list(argument, "Fn::And")
        return all(values)

    def _or(self, argument: Any) -> bool:
        values = self._conditions_list(argument, "Fn::Or")
        return any(values)

    def _find_in_map(self, argument: Any) -> Any:
        argument = self.resolve(argument)
        if not isinstance(argument, list) or len(argument) < 3:
            raise ResolveError(f"Fn::FindInMap needs [map, key, key], got {argument!r}")
        name, first, second = (str(item) for item in argument[:3])
        try:
            return self.resolve(self._template["Mappings"][name][first][second])
        except (KeyError, TypeError) as exc:
            if len(argument) == 4 and isinstance(argument[3], Mapping) and "DefaultValue" in argument[3]:
                return argument[3]["DefaultValue"]
            raise ResolveError(f"Fn::FindInMap {argument!r}: no such entry") from exc

    def _base64(self, argument: Any) -> str:
        return base64.b64encode(str(self.resolve(argument)).encode("utf-8")).decode("ascii")

    def _importvalue(self, argument: Any) -> str:
        name = self.resolve(argument)
        if self._import_value is None:
            raise ResolveError(f"Fn::ImportValue {name!r}: no export lookup available")
        return self._import_value(str(name))

    def _to_json_string(self, argument: Any) -> str:
        return json.dumps(self.resolve(argument), separators=(",", ":"))

    def _length(self, argument: Any) -> int:
        value = self.resolve(argument)
        if not isinstance(value, list):
            raise ResolveError(f"Fn::Length needs a list, got {value!r}")
        return len(value)

    # ------------------------------------------------------------------ helpers
    def _conditions_list(self, argument: Any, function: str) -> list[bool]:
        argument = self.resolve(argument)
        if not isinstance(argument, list) or not 2 <= len(argument) <= 10:
            raise ResolveError(f"{function} needs 2 to 10 conditions, got {argument!r}")
        return [self._as_bool(item, function) for item in argument]

    @staticmethod
    def _as_bool(value: Any, where: str) -> bool:
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return value.lower() == "true"
        raise ResolveError(f"{where}: expected a condition, got {value!r}")

    _FUNCTIONS: Final[dict[str, Callable[[IntrinsicResolver, Any], Any]]] = {
        "Ref": _ref,
        "Fn::GetAtt": _getatt,
        "Fn::Sub": _sub,
        "Fn::Join": _join,
        "Fn::Select": _select,
        "Fn::Split": _split,
        "Fn::If": _if,
        "Fn::Equals": _equals,
        "Fn::Not": _not,
        "Fn::And": _and,
        "Fn::Or": _or,
        "Fn::FindInMap": _find_in_map,
        "Fn::Base64": _base64,
        "Fn::ImportValue": _importvalue,
        "Fn::ToJsonString": _to_json_string,
        "Fn::Length": _length,
    }


def _scalar_string(value: Any) -> str:
    """How CloudFormation renders a scalar inside a string (booleans lowercase)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
