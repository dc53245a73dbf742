"""The container definitions of ``services.yaml``, read from the template, with their values resolved.

The container test runs each image the way its task definition says, so it reads the definition
rather than restating it: read-only root, user, mount points, environment, secrets, health check and
stop timeout. Values are resolved as CloudFormation would: ``Ref`` to a parameter (its default unless
given), ``Fn::Sub`` and ``Fn::ImportValue`` against the exports of the stacks deployed to the emulator.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from deploy.templates import load_template

__all__ = ["ContainerDefinition", "HealthCheck", "container_definitions"]

# ECS's defaults where a definition leaves a health check field out.
_HEALTH_DEFAULTS = {"Interval": 30, "Timeout": 5, "Retries": 3, "StartPeriod": 0}
_SUB_VARIABLE = re.compile(r"\$\{([^}!][^}]*)\}")


@dataclass(frozen=True)
class HealthCheck:
    command: list[str]  # exec form, without the leading "CMD"
    interval: int
    timeout: int
    retries: int
    start_period: int


@dataclass(frozen=True)
class ContainerDefinition:
    family_resource: str  # the template's logical id of the task definition
    name: str
    read_only_root: bool
    user: str | None
    mount_paths: list[str]  # container paths of the task's (bind mount) volumes
    environment: dict[str, str]
    secrets: list[str]  # names of the variables ECS injects from Secrets Manager
    health_check: HealthCheck | None
    stop_timeout: int  # seconds; ECS's default is 30


class _Resolver:
    def __init__(self, parameters: Mapping[str, str], exports: Mapping[str, str]) -> None:
        self.parameters = parameters
        self.exports = exports

    def __call__(self, node: Any) -> str:
        if isinstance(node, bool):
            return str(node).lower()
        if isinstance(node, str | int | float):
            return str(node)
        if isinstance(node, dict) and len(node) == 1:
            ((function, argument),) = node.items()
            if function == "Ref":
                return self.parameters[argument]
            if function == "Fn::ImportValue":
                return self.exports[self(argument)]
            if function == "Fn::Sub":
                text, variables = (argument, {}) if isinstance(argument, str) else argument
                values = {name: self(value) for name, value in variables.items()}
                return _SUB_VARIABLE.sub(lambda match: values.get(match[1]) or self.parameters[match[1]], text)
        raise ValueError(f"cannot resolve {node!r} outside CloudFormation")


def container_definitions(
    template_path: Path, parameters: Mapping[str, str], exports: Mapping[str, str]
) -> dict[str, ContainerDefinition]:
    """Every container definition of the template's task definitions, by container name.

    ``parameters`` override the template's defaults (and add pseudo parameters such as
    ``AWS::Region``); ``exports`` are the values ``Fn::ImportValue`` finds.
    """
    template = load_template(template_path)
    defaults = {name: str(spec["Default"]) for name, spec in template["Parameters"].items() if "Default" in spec}
    resolve = _Resolver({**defaults, **parameters}, exports)
    found: dict[str, ContainerDefinition] = {}
    for logical_id, resource in template["Resources"].items():
        if resource["Type"] != "AWS::ECS::TaskDefinition":
            continue
        properties = resource["Properties"]
        volumes = {volume["Name"] for volume in properties.get("Volumes", [])}
        for container in properties["ContainerDefinitions"]:
            mounts = [mount["ContainerPath"] for mount in container.get("MountPoints", [])]
            assert all(mount["SourceVolume"] in volumes for mount in container.get("MountPoints", []))
            found[container["Name"]] = ContainerDefinition(
                family_resource=logical_id,
                name=container["Name"],
                read_only_root=bool(container.get("ReadonlyRootFilesystem", False)),
                user=container.get("User"),
                mount_paths=mounts,
                environment={item["Name"]: resolve(item["Value"]) for item in container.get("Environment", [])},
                secrets=[item["Name"] for item in container.get("Secrets", [])],
                health_check=_health_check(container.get("HealthCheck"), resolve),
                stop_timeout=int(container.get("StopTimeout", 30)),
            )
    return found


def _health_check(spec: Mapping[str, Any] | None, resolve: _Resolver) -> HealthCheck | None:
    if spec is None:
        return None
    kind, *command = [resolve(part) for part in spec["Command"]]
    assert kind == "CMD", f"only the exec form is run here, not {kind}"
    values = {**_HEALTH_DEFAULTS, **{key: spec[key] for key in _HEALTH_DEFAULTS if key in spec}}
    return HealthCheck(
        command=command,
        interval=int(values["Interval"]),
        timeout=int(values["Timeout"]),
        retries=int(values["Retries"]),
        start_period=int(values["StartPeriod"]),
    )
