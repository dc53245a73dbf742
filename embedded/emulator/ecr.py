"""ECR repositories made by a stack honour ``EmptyOnDelete``, as CloudFormation does.

moto's ``AWS::ECR::Repository`` ignores the property and deletes a repository without ``force``,
so a stack whose repositories hold images fails to delete (``RepositoryNotEmptyException``), where
CloudFormation deletes their images first when ``EmptyOnDelete`` is true.
"""

from __future__ import annotations

from typing import Any

from moto.ecr.models import Repository, ecr_backends

__all__ = ["install"]


def _create_repository(original: Any) -> Any:
    def create_from_cloudformation_json(
        cls: type[Repository],
        resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
        **kwargs: Any,
    ) -> Repository:
        repository: Repository = original(resource_name, cloudformation_json, account_id, region_name, **kwargs)
        empty_on_delete = cloudformation_json["Properties"].get("EmptyOnDelete", False)
        repository.empty_on_delete = str(empty_on_delete).lower() == "true"  # type: ignore[attr-defined]
        return repository

    return create_from_cloudformation_json


def _delete(self: Repository, account_id: str, region_name: str) -> None:
    force = getattr(self, "empty_on_delete", False)
    ecr_backends[account_id][region_name].delete_repository(self.name, force=force)


def install() -> None:
    Repository.create_from_cloudformation_json = classmethod(  # type: ignore[assignment,method-assign]
        _create_repository(Repository.create_from_cloudformation_json)
    )
    Repository.delete = _delete  # type: ignore[method-assign]
