"""What the ingress stack needs to know of CloudFront that CloudFormation cannot look up: the id of
the AWS-managed prefix list of CloudFront's origin-facing servers, which differs by region."""

from __future__ import annotations

from typing import Any

__all__ = ["ORIGIN_FACING_PREFIX_LIST", "origin_facing_prefix_list_id"]

ORIGIN_FACING_PREFIX_LIST = "com.amazonaws.global.cloudfront.origin-facing"


def origin_facing_prefix_list_id(ec2: Any) -> str | None:
    """The prefix list's id in the region of ``ec2``, or None where the region has none."""
    lists = ec2.describe_managed_prefix_lists(
        Filters=[{"Name": "prefix-list-name", "Values": [ORIGIN_FACING_PREFIX_LIST]}]
    )["PrefixLists"]
    return str(lists[0]["PrefixListId"]) if lists else None
