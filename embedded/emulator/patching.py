"""The one way the emulator's fixes extend how moto's CloudFormation creates a resource: before
(properties moto would misread, rewritten) or after (properties moto reads no further, applied)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

__all__ = ["after_create", "before_create"]

Settle = Callable[[Any, dict[str, Any], str, str], None]
Prepare = Callable[[dict[str, Any]], dict[str, Any]]


def after_create(model: type, settle: Settle) -> None:
    """Make ``model``'s CloudFormation create call ``settle(resource, properties, account_id,
    region_name)`` on what moto made, for the properties moto reads no further."""
    original = model.create_from_cloudformation_json.__func__  # type: ignore[attr-defined]

    def create_from_cloudformation_json(
        cls: type,
        resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
        **kwargs: Any,
    ) -> Any:
        resource = original(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs)
        settle(resource, cloudformation_json["Properties"], account_id, region_name)
        return resource

    model.create_from_cloudformation_json = classmethod(create_from_cloudformation_json)  # type: ignore[attr-defined]


def before_create(model: type, prepare: Prepare) -> None:
    """Make ``model``'s CloudFormation create hand moto ``prepare(properties)`` instead of the
    template's properties, for those moto reads in a shape CloudFormation does not use."""
    original = model.create_from_cloudformation_json.__func__  # type: ignore[attr-defined]

    def create_from_cloudformation_json(
        cls: type,
        resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
        **kwargs: Any,
    ) -> Any:
        prepared = {**cloudformation_json, "Properties": prepare(dict(cloudformation_json.get("Properties", {})))}
        return original(cls, resource_name, prepared, account_id, region_name, **kwargs)

    model.create_from_cloudformation_json = classmethod(create_from_cloudformation_json)  # type: ignore[attr-defined]
