"""ECR repositories made by a stack honour ``EmptyOnDelete``, as CloudFormation does.

moto's ``AWS::ECR::Repository`` ignores the property and deletes a repository without ``force``,
so a stack whose repositories hold images fails to delete (``RepositoryNotEmptyException``), where
CloudFormation deletes their images first when ``EmptyOnDelete`` is true.
"""

from __future__ import annotations

from typing import Any

from moto.ecr.models import Repository, ecr_backends

from embedded.emulator.patching import after_create

__all__ = ["install"]


def _remember_empty_on_delete(repository: Repository, properties: dict[str, Any], account_id: str, region: str) -> None:
    empty_on_delete = properties.get("EmptyOnDelete", False)
    repository.empty_on_delete = str(empty_on_delete).lower() == "true"  # type: ignore[attr-defined]


def _delete(self: Repository, account_id: str, region_name: str) -> None:
    force = getattr(self, "empty_on_delete", False)
    ecr_backends[account_id][region_name].delete_repository(self.name, force=force)


def install() -> None:
    after_create(Repository, _remember_empty_on_delete)
    Repository.delete = _delete  # type: ignore[method-assign]
