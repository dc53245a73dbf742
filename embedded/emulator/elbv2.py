"""A stack's load balancers can be updated, as CloudFormation updates them.

moto's ``AWS::ElasticLoadBalancingV2::LoadBalancer`` has no update: a stack update that touched a
load balancer's properties at all (a ``Scheme`` given by a parameter instead of written out) left
it out of the stack, and every ``!GetAtt`` of it failed the update. Here a changed ``Scheme``
replaces the load balancer (as on AWS: a new one, then the old one deleted); anything else updates
it in place, keeping its ARN and DNS name.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from moto.ec2.models import ec2_backends
from moto.elbv2.models import FakeLoadBalancer

from embedded.emulator.patching import on_update

__all__ = ["install"]


def _update(
    cls: type, original_resource: FakeLoadBalancer, name: str, properties: Mapping[str, Any], account_id: str,
    region_name: str,
) -> FakeLoadBalancer:
    if properties.get("Scheme", "internet-facing") != original_resource.scheme:
        replacement = cls.create_from_cloudformation_json(  # type: ignore[attr-defined]
            name, {"Properties": properties}, account_id, region_name
        )
        original_resource.delete(account_id, region_name)
        return replacement
    ec2 = ec2_backends[account_id][region_name]
    if "Subnets" in properties:
        original_resource.subnets = [ec2.get_subnet(subnet_id) for subnet_id in properties["Subnets"]]
    if "SecurityGroups" in properties:
        original_resource.security_groups = list(properties["SecurityGroups"])
    return original_resource


def install() -> None:
    on_update(FakeLoadBalancer, _update)
