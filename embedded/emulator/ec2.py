"""Security groups made by a stack keep their ingress rules from prefix lists.

moto's ``AWS::EC2::SecurityGroup`` reads ``CidrIp`` and ``SourceSecurityGroupId`` of each ingress
rule and drops ``SourcePrefixListId``: the load balancer's group, open to CloudFront's managed
prefix list only, came out with no rule at all.
"""

from __future__ import annotations

from typing import Any

from moto.ec2.models import ec2_backends
from moto.ec2.models.security_groups import SecurityGroup

from embedded.emulator.patching import after_create

__all__ = ["install"]


def _keep_prefix_list_rules(group: SecurityGroup, properties: dict[str, Any], account_id: str, region: str) -> None:
    backend = ec2_backends[account_id][region]
    for rule in properties.get("SecurityGroupIngress", []):
        if rule.get("SourcePrefixListId"):
            backend.authorize_security_group_ingress(
                group_name_or_id=group.id,
                ip_protocol=rule["IpProtocol"],
                from_port=rule["FromPort"],
                to_port=rule["ToPort"],
                ip_ranges=[],
                prefix_list_ids=[
                    {"PrefixListId": rule["SourcePrefixListId"], "Description": rule.get("Description", "")}
                ],
                vpc_id=group.vpc_id,
            )


def install() -> None:
    after_create(SecurityGroup, _keep_prefix_list_rules)
