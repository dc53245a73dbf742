"""ECS services made by a stack keep their network configuration.

moto's ``AWS::ECS::Service`` drops ``NetworkConfiguration``: a service came out with no subnets,
security groups or public-IP setting, so nothing could tell where its tasks would run.
"""

from __future__ import annotations

from typing import Any

from moto.ecs.models import Service

__all__ = ["install"]


def _network_configuration(properties: dict[str, Any]) -> dict[str, Any]:
    awsvpc = properties.get("NetworkConfiguration", {}).get("AwsvpcConfiguration")
    if not awsvpc:
        return {}
    return {
        "awsvpcConfiguration": {
            "subnets": list(awsvpc.get("Subnets", [])),
            "securityGroups": list(awsvpc.get("SecurityGroups", [])),
            "assignPublicIp": awsvpc.get("AssignPublicIp", "DISABLED"),
        }
    }


def _with_network(original: Any) -> Any:
    def from_cloudformation_json(cls: type[Service], *args: Any, **kwargs: Any) -> Service:
        service: Service = original(*args, **kwargs)
        position = 2 if original.__name__.startswith("update") else 1
        cloudformation_json = kwargs["cloudformation_json"] if len(args) <= position else args[position]
        service.network_configuration = _network_configuration(cloudformation_json["Properties"])
        return service

    return from_cloudformation_json


def install() -> None:
    for name in ("create_from_cloudformation_json", "update_from_cloudformation_json"):
        setattr(Service, name, classmethod(_with_network(getattr(Service, name))))
