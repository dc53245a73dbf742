"""Bring tables that outlived their stack back under it, with a CloudFormation resource import.

The data stack retains its tables (``DeletionPolicy: Retain``) under fixed names
(``<project>-mysfits``...). When the stack is gone and its tables are not (the stack deleted by
hand, or by ``teardown --keep-data`` before it kept the stack), creating the stack again fails:
the tables "already exist". :func:`import_retained_tables` creates the stack instead with an
``IMPORT`` change set that adopts the tables found; the ordinary deploy that follows updates it
with what an import may not add (the outputs, and any table that was not found).
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError, WaiterError

from deploy.stacks import DeployError, stack_status, waiter_config
from deploy.templates import load_template, parameter_values

__all__ = ["import_retained_tables", "table_names"]

logger = logging.getLogger(__name__)

_TABLE = "AWS::DynamoDB::Table"
_CHANGE_SET = "import-retained-tables"


def table_names(template: Mapping[str, Any], parameters: Mapping[str, str]) -> dict[str, str]:
    """Logical id -> table name of the template's tables whose names the parameters decide."""
    values = parameter_values(template, parameters)
    names = {}
    for logical_id, resource in template["Resources"].items():
        name = resource.get("Properties", {}).get("TableName") if resource.get("Type") == _TABLE else None
        if isinstance(name, Mapping) and isinstance(name.get("Fn::Sub"), str):
            name = re.sub(r"\$\{(\w+)\}", lambda match: values.get(match.group(1), match.group(0)), name["Fn::Sub"])
        if isinstance(name, str) and "${" not in name:
            names[logical_id] = name
    return names


def _exists(dynamodb: Any, table: str) -> bool:
    try:
        dynamodb.describe_table(TableName=table)
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") == "ResourceNotFoundException":
            return False
        raise
    return True


def import_retained_tables(
    cfn: Any,
    dynamodb: Any,
    stack_name: str,
    template_path: str | Path,
    parameters: Mapping[str, str],
    *,
    tags: Mapping[str, str] | None = None,
    poll_delay: float = 5.0,
    timeout: float = 3600.0,
) -> list[str]:
    """If ``stack_name`` does not exist but tables of its template do, create the stack by importing
    them; return the imported tables' names (none: nothing was done)."""
    if stack_status(cfn, stack_name) is not None:
        return []
    template = load_template(template_path)
    found = {logical: name for logical, name in table_names(template, parameters).items() if _exists(dynamodb, name)}
    if not found:
        return []
    logger.info("stack %s is gone but its tables %s are not: importing them", stack_name, ", ".join(found.values()))
    # An import may only adopt resources: no outputs, no resource to create.
    importing = {key: value for key, value in template.items() if key not in ("Outputs", "Resources")}
    importing["Resources"] = {logical: template["Resources"][logical] for logical in found}
    waiting = waiter_config(poll_delay, timeout)
    try:
        cfn.create_change_set(
            StackName=stack_name,
            ChangeSetName=_CHANGE_SET,
            ChangeSetType="IMPORT",
            TemplateBody=json.dumps(importing),
            Parameters=[{"ParameterKey": key, "ParameterValue": value} for key, value in parameters.items()],
            ResourcesToImport=[
                {"ResourceType": _TABLE, "LogicalResourceId": logical, "ResourceIdentifier": {"TableName": name}}
                for logical, name in found.items()
            ],
            Tags=[{"Key": key, "Value": value} for key, value in (tags or {}).items()],
        )
        cfn.get_waiter("change_set_create_complete").wait(
            StackName=stack_name, ChangeSetName=_CHANGE_SET, WaiterConfig=waiting
        )
        cfn.execute_change_set(StackName=stack_name, ChangeSetName=_CHANGE_SET)
        cfn.get_waiter("stack_import_complete").wait(StackName=stack_name, WaiterConfig=waiting)
    except (ClientError, WaiterError) as exc:
        raise DeployError(
            stack_name, f"importing the retained tables {', '.join(found.values())} failed: {exc}"
        ) from exc
    return sorted(found.values())
