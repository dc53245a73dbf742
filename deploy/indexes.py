"""A table's global secondary indexes changed the way CloudFormation allows: one at a time.

CloudFormation creates or deletes at most one index of a table per stack update ("Cannot perform
more than one GSI creation or deletion in a single update"), and never changes one in place: new
keys or a new projection ("Cannot update GSI's properties other than Provisioned Throughput...")
mean deleting the index and creating it again. So a template whose indexes differ from a live
table's in more than one step is deployed through the templates in between, each one index
created or deleted from the last, waiting after a creation until the index is ``ACTIVE`` (its
backfill: CloudFormation does not wait for it). A changed index is created again right after it
is deleted; meanwhile its readers fall back on a scan (``monolith.dynamodb``). The last step is the
template itself, which the caller deploys as usual.
"""

from __future__ import annotations

import copy
import json
import logging
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from deploy.retained import table_names
from deploy.templates import load_template

__all__ = ["index_steps", "step_through_indexes"]

logger = logging.getLogger(__name__)

Index = Mapping[str, Any]


def _definition(index: Index) -> tuple[Any, ...]:
    """What of an index CloudFormation cannot change in place: its keys and its projection."""
    projection = index.get("Projection") or {}
    return (
        tuple((key["AttributeName"], key["KeyType"]) for key in index["KeySchema"]),
        projection.get("ProjectionType", "ALL"),
        tuple(sorted(projection.get("NonKeyAttributes", []))),
    )


def index_steps(live: Sequence[Index], wanted: Sequence[Index]) -> list[list[Index]]:
    """The index lists from ``live`` to ``wanted``, each one index created or deleted from the one
    before; the last is ``wanted`` (in its order), none when ``live`` already is."""
    wanted_by_name = {index["IndexName"]: index for index in wanted}
    current = list(live)
    steps: list[list[Index]] = []
    for index in live:
        replacement = wanted_by_name.get(index["IndexName"])
        if replacement is not None and _definition(replacement) == _definition(index):
            continue
        current = [kept for kept in current if kept["IndexName"] != index["IndexName"]]
        steps.append(current)
        if replacement is not None:  # created again at once: the window without it stays short
            current = [*current, replacement]
            steps.append(current)
    names = {index["IndexName"] for index in current}
    for index in wanted:
        if index["IndexName"] not in names:
            current = [*current, index]
            steps.append(current)
    if steps:
        by_name = {index["IndexName"]: index for index in steps[-1]}
        steps[-1] = [by_name[index["IndexName"]] for index in wanted]
    return steps


def _with_indexes(
    template: Mapping[str, Any], logical_id: str, indexes: Sequence[Index], attributes: Sequence[Mapping[str, str]]
) -> dict[str, Any]:
    """The template with the table's indexes replaced, and its attribute definitions those of
    ``attributes`` that a key uses (DynamoDB refuses a definition no key uses)."""
    variant = copy.deepcopy(dict(template))
    properties = variant["Resources"][logical_id]["Properties"]
    used = {key["AttributeName"] for key in properties["KeySchema"]}
    used |= {key["AttributeName"] for index in indexes for key in index["KeySchema"]}
    definitions = {attribute["AttributeName"]: dict(attribute) for attribute in attributes}
    properties["AttributeDefinitions"] = [definitions[name] for name in sorted(used)]
    if indexes:
        properties["GlobalSecondaryIndexes"] = [dict(index) for index in indexes]
    else:
        properties.pop("GlobalSecondaryIndexes", None)
    return variant


def _live_table(dynamodb: Any, table: str) -> dict[str, Any] | None:
    try:
        described: dict[str, Any] = dynamodb.describe_table(TableName=table)["Table"]
    except dynamodb.exceptions.ResourceNotFoundException:
        return None
    return described


def _declared(index: Index) -> dict[str, Any]:
    """A described index as a template declares it."""
    return {key: index[key] for key in ("IndexName", "KeySchema", "Projection")}


def _wait_until_active(dynamodb: Any, table: str, poll_delay: float, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while True:
        indexes = dynamodb.describe_table(TableName=table)["Table"].get("GlobalSecondaryIndexes", [])
        building = [index["IndexName"] for index in indexes if index.get("IndexStatus", "ACTIVE") != "ACTIVE"]
        if not building:
            return
        if time.monotonic() > deadline:
            raise TimeoutError(f"{table}: indexes {', '.join(building)} not ACTIVE after {timeout:.0f} s")
        logger.info("waiting for %s's indexes %s to be built", table, ", ".join(building))
        time.sleep(max(poll_delay, 0.1))


def step_through_indexes(
    dynamodb: Any,
    template_path: str | Path,
    parameters: Mapping[str, str],
    deploy: Callable[[Path], object],
    *,
    poll_delay: float = 5.0,
    timeout: float = 3600.0,
) -> int:
    """Deploy (with ``deploy``, given a template's path) every template between the live tables'
    indexes and ``template_path``'s but the last step of each table, which the template itself
    makes (one change per table); return how many were deployed. Tables that do not exist yet are
    the template's to create."""
    template = load_template(template_path)
    # logical id -> (its table, the steps to its indexes, the attribute definitions they may need)
    plans: dict[str, tuple[str, list[list[Index]], list[Mapping[str, str]]]] = {}
    base = template
    for logical, name in table_names(template, parameters).items():
        live = _live_table(dynamodb, name)
        if live is None:
            continue
        properties = template["Resources"][logical]["Properties"]
        attributes = [*live.get("AttributeDefinitions", []), *properties.get("AttributeDefinitions", [])]
        current = [_declared(index) for index in live.get("GlobalSecondaryIndexes", [])]
        plans[logical] = (name, index_steps(current, properties.get("GlobalSecondaryIndexes", [])), attributes)
        base = _with_indexes(base, logical, current, attributes)  # the others stay as they are meanwhile
    deployed = 0
    for logical, (table, steps, attributes) in plans.items():
        for step in steps[:-1]:
            logger.info("%s: indexes %s (one change at a time)", table, [index["IndexName"] for index in step])
            base = _with_indexes(base, logical, step, attributes)
            with tempfile.TemporaryDirectory() as folder:
                path = Path(folder) / Path(template_path).with_suffix(".json").name
                path.write_text(json.dumps(base), encoding="utf-8")
                deploy(path)
            _wait_until_active(dynamodb, table, poll_delay, timeout)
            deployed += 1
    return deployed
