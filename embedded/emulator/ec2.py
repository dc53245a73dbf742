"""Security groups made by a stack keep their ingress rules from prefix lists.

moto's ``AWS::EC2::SecurityGroup`` reads ``CidrIp`` and ``SourceSecurityGroupId`` of each ingress
rule and drops ``SourcePrefixListId``: the load balancer's group, open to CloudFront's managed
prefix list only, came out with no rule at all.
"""

from __future__ import annotations

from typing import Any

from moto.ec2.models import ec2_backends
from moto.ec2.models.security_groups import SecurityGroup

__all__ = ["install"]


def _create_security_group(original: Any) -> Any:
    def create_from_cloudformation_json(
        cls: type[SecurityGroup],
        resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
        **kwargs: Any,
    ) -> SecurityGroup:
        group: SecurityGroup = original(resource_name, cloudformation_json, account_id, region_name, **kwargs)
        backend = ec2_backends[account_id][region_name]
        for rule in cloudformation_json["Properties"].get("SecurityGroupIngress", []):
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
        return group

    return create_from_cloudformation_json


def install() -> None:
    SecurityGroup.create_from_cloudformation_json = classmethod(  # type: ignore[assignment,method-assign]
        _create_security_group(SecurityGroup.create_from_cloudformation_json)
    )
