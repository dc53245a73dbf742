"""Cloud Map HTTP namespaces made by a stack.

moto's CloudFormation has no ``AWS::ServiceDiscovery::HttpNamespace``: it created no namespace and
could not evaluate ``!GetAtt Namespace.Arn``, which the ECS services' Service Connect configuration
names (by ARN, since a name is looked up and could find another namespace of that name).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from moto.core.common_models import CloudFormationModel
from moto.servicediscovery.models import Namespace, servicediscovery_backends

from embedded.emulator.patching import StackResource, register_resource_types

__all__ = ["HttpNamespaceResource", "install"]


class HttpNamespaceResource(StackResource, CloudFormationModel):
    """An HTTP namespace; ``Ref`` is its id, ``Arn`` and ``Id`` its attributes, as on AWS."""

    TYPE = "AWS::ServiceDiscovery::HttpNamespace"
    NAME_PROPERTY = "Name"

    def __init__(self, namespace: Namespace, account_id: str, region_name: str) -> None:
        self.namespace = namespace
        self.account_id = account_id
        self.region_name = region_name

    @property
    def physical_resource_id(self) -> str:
        return str(self.namespace.id)

    @classmethod
    def has_cfn_attr(cls, attr: str) -> bool:
        return attr in ("Arn", "Id")

    def get_cfn_attribute(self, attribute_name: str) -> str:
        return str(self.namespace.arn if attribute_name == "Arn" else self.namespace.id)

    @classmethod
    def create(cls, name: str, properties: Mapping[str, Any], account_id: str, region_name: str) -> (
        HttpNamespaceResource
    ):
        backend = servicediscovery_backends[account_id][region_name]
        tags = [{"Key": tag["Key"], "Value": tag["Value"]} for tag in properties.get("Tags", [])]
        namespace_name = str(properties.get("Name", name))
        operation_id = backend.create_http_namespace(namespace_name, "", str(properties.get("Description", "")), tags)
        namespace_id = backend.operations[operation_id].targets["NAMESPACE"]
        return cls(backend.get_namespace(namespace_id), account_id, region_name)

    @classmethod
    def update(
        cls, resource: HttpNamespaceResource, name: str, properties: Mapping[str, Any], account_id: str,
        region_name: str,
    ) -> HttpNamespaceResource:
        # A new name replaces the namespace, as on AWS; the description and tags are all else.
        if str(properties.get("Name", name)) == resource.namespace.name:
            resource.namespace.description = str(properties.get("Description", ""))
            return resource
        resource.delete(account_id, region_name)
        return cls.create(name, properties, account_id, region_name)

    @classmethod
    def delete_from_cloudformation_json(
        cls, resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str
    ) -> None:
        backend = servicediscovery_backends[account_id][region_name]
        for namespace in list(backend.namespaces.values()):
            if namespace.id == resource_name or namespace.name == resource_name:
                backend.delete_namespace(namespace.id)

    def delete(self, account_id: str, region_name: str) -> None:
        backend = servicediscovery_backends[account_id][region_name]
        if self.namespace.id in backend.namespaces:
            backend.delete_namespace(self.namespace.id)


def install() -> None:
    """Register the resource type."""
    register_resource_types()
