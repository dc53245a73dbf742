"""The one way the emulator's fixes extend moto's CloudFormation: how it creates a resource type it
has, before (properties moto would misread, rewritten) or after (properties moto reads no further,
applied); and :class:`StackResource`, the base of a resource type it lacks."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, ClassVar, Self

from moto.cloudformation import parsing

__all__ = ["StackResource", "after_create", "before_create", "on_update", "register_resource_types"]

Settle = Callable[[Any, dict[str, Any], str, str], None]
# (moto's class, the resource, its new name, its properties, account_id, region_name) -> the resource after
Update = Callable[[type, Any, str, Mapping[str, Any], str, str], Any]
Prepare = Callable[[dict[str, Any]], dict[str, Any]]
# moto's create, with its arguments but the template's resource JSON bound: JSON -> resource
Create = Callable[[dict[str, Any]], Any]


def _around_create(model: type, around: Callable[[Create, dict[str, Any], str, str], Any]) -> None:
    """Make ``model``'s CloudFormation create call ``around(create, cloudformation_json, account_id,
    region_name)``, where ``create`` is moto's own create for a resource JSON."""
    original = model.create_from_cloudformation_json.__func__  # type: ignore[attr-defined]

    def create_from_cloudformation_json(
        cls: type,
        resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
        **kwargs: Any,
    ) -> Any:
        def create(resource_json: dict[str, Any]) -> Any:
            return original(cls, resource_name, resource_json, account_id, region_name, **kwargs)

        return around(create, cloudformation_json, account_id, region_name)

    model.create_from_cloudformation_json = classmethod(create_from_cloudformation_json)  # type: ignore[attr-defined]


def after_create(model: type, settle: Settle) -> None:
    """Make ``model``'s CloudFormation create call ``settle(resource, properties, account_id,
    region_name)`` on what moto made, for the properties moto reads no further."""

    def create_then_settle(create: Create, resource_json: dict[str, Any], account_id: str, region_name: str) -> Any:
        resource = create(resource_json)
        settle(resource, resource_json["Properties"], account_id, region_name)
        return resource

    _around_create(model, create_then_settle)


def before_create(model: type, prepare: Prepare) -> None:
    """Make ``model``'s CloudFormation create hand moto ``prepare(properties)`` instead of the
    template's properties, for those moto reads in a shape CloudFormation does not use."""

    def prepare_then_create(create: Create, resource_json: dict[str, Any], account_id: str, region_name: str) -> Any:
        return create({**resource_json, "Properties": prepare(dict(resource_json.get("Properties", {})))})

    _around_create(model, prepare_then_create)


def on_update(model: type, update: Update) -> None:
    """Make ``model``'s CloudFormation update ``update(cls, resource, name, properties, account_id,
    region_name)``, for a type whose update moto lacks or gets wrong."""

    def update_from_cloudformation_json(
        cls: type,
        original_resource: Any,
        new_resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
    ) -> Any:
        properties = cloudformation_json["Properties"]
        return update(cls, original_resource, new_resource_name, properties, account_id, region_name)

    model.update_from_cloudformation_json = classmethod(update_from_cloudformation_json)  # type: ignore[attr-defined]


class StackResource:
    """A resource type moto's CloudFormation lacks, declared ``class X(StackResource,
    CloudFormationModel)`` (moto finds its types among the direct subclasses of its base). It names
    its ``TYPE`` (and the property that names it, if any), and says how it is made from its
    properties (:meth:`create`) and how an update changes it (:meth:`update`); moto's calling
    conventions are kept here, once."""

    TYPE: ClassVar[str]
    NAME_PROPERTY: ClassVar[str] = ""

    @classmethod
    def cloudformation_name_type(cls) -> str:
        return cls.NAME_PROPERTY

    @classmethod
    def cloudformation_type(cls) -> str:
        return cls.TYPE

    @classmethod
    def create(cls, name: str, properties: Mapping[str, Any], account_id: str, region_name: str) -> Self:
        raise NotImplementedError

    @classmethod
    def update(cls, resource: Self, name: str, properties: Mapping[str, Any], account_id: str, region_name: str) -> (
        Self
    ):
        raise NotImplementedError

    @classmethod
    def create_from_cloudformation_json(
        cls, resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str, **kwargs: Any
    ) -> Self:
        return cls.create(resource_name, cloudformation_json["Properties"], account_id, region_name)

    @classmethod
    def update_from_cloudformation_json(
        cls, original_resource: Self, new_resource_name: str, cloudformation_json: dict[str, Any], account_id: str,
        region_name: str,
    ) -> Self:
        return cls.update(original_resource, new_resource_name, cloudformation_json["Properties"], account_id,
                          region_name)


def register_resource_types() -> None:
    """Make moto's CloudFormation see the :class:`StackResource` subclasses defined so far (it caches
    its map of resource types on first use)."""
    for cached in (parsing.get_model_list, parsing.get_model_map, parsing.get_name_type_map):
        cached.cache_clear()
