"""Tear a deployment down: every stack, newest first, emptying what blocks deletion.

The site, access-log and templates buckets are emptied first (the registry's repositories delete
their images themselves: ``EmptyOnDelete``). The data stack retains its tables, so they are deleted after it;
``keep_data`` keeps the data stack itself, tables and all, for the next deploy to update in place.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from deploy.errors import DeployFailure
from deploy.parameters import stack_name
from deploy.site import chunks
from deploy.stacks import stack_outputs, stack_status, waiter_config

__all__ = ["Teardown"]

logger = logging.getLogger(__name__)


@dataclass
class Teardown:
    client: Callable[[str], Any]  # service name -> boto3 client
    project: str
    components: Sequence[str]  # in deployment order
    keep_data: bool = False
    poll_delay: float = 10.0
    timeout: float = 3600.0

    def run(self) -> list[str]:
        """Delete every stack, newest first; return the deleted stacks."""
        cfn = self.client("cloudformation")
        deleted = []
        for component in reversed(self.components):
            name = stack_name(self.project, component)
            if component == "data" and self.keep_data:
                # The stack stays with its tables, so that the next deploy updates it in place: a
                # new stack would fail to create tables that already exist under the same names.
                logger.info("keeping stack %s and its tables (--keep-data)", name)
                continue
            if stack_status(cfn, name) is None:
                logger.info("stack %s does not exist", name)
                continue
            outputs = stack_outputs(cfn, name)
            if component == "website" and outputs.get("SiteBucketName"):
                self.empty_bucket(outputs["SiteBucketName"])
            elif component == "network" and outputs.get("AccessLogsBucketName"):
                self.empty_bucket(outputs["AccessLogsBucketName"])
            elif component == "registry" and outputs.get("TemplatesBucketName"):
                self.empty_bucket(outputs["TemplatesBucketName"])
            try:
                self._delete_stack(cfn, name)
            except DeployFailure:
                if component != "network":
                    raise
                # Access logs arrive minutes late (CloudFront's, the load balancer's last batch):
                # the bucket may have filled again since it was emptied.
                if "AccessLogsBucketName" not in outputs:
                    raise
                self.empty_bucket(outputs["AccessLogsBucketName"])
                self._delete_stack(cfn, name)
            deleted.append(name)
            if component == "data":
                # A data stack that rolled back has no outputs, and no tables of its own to delete.
                tables = ("MysfitsTableName", "ProcessedEventsTableName")
                self.delete_tables([outputs[key] for key in tables if key in outputs])
        return deleted

    def _delete_stack(self, cfn: Any, name: str) -> None:
        logger.info("deleting stack %s", name)
        cfn.delete_stack(StackName=name)
        try:
            cfn.get_waiter("stack_delete_complete").wait(
                StackName=name, WaiterConfig=waiter_config(self.poll_delay, self.timeout)
            )
        except Exception as exc:  # WaiterError: say which stack, and where to look
            raise DeployFailure(
                f"stack {name} did not delete ({exc}); see its events in the CloudFormation console"
            ) from exc

    def empty_bucket(self, bucket: str) -> int:
        """Delete every object version and delete marker in ``bucket``; return how many."""
        s3 = self.client("s3")
        try:
            keys = [
                {"Key": item["Key"], "VersionId": item["VersionId"]}
                for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket)
                for item in (*page.get("Versions", []), *page.get("DeleteMarkers", []))
            ]
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "NoSuchBucket":
                return 0
            raise
        for chunk in chunks(keys, 1000):
            s3.delete_objects(Bucket=bucket, Delete={"Objects": list(chunk), "Quiet": True})
        logger.info("emptied bucket %s (%d object version(s))", bucket, len(keys))
        return len(keys)

    def delete_tables(self, tables: Sequence[str]) -> None:
        """The data stack retains its tables (data outlives a stack); teardown means all of it."""
        dynamodb = self.client("dynamodb")
        for table in tables:
            try:
                dynamodb.delete_table(TableName=table)
            except ClientError as exc:
                if exc.response.get("Error", {}).get("Code") != "ResourceNotFoundException":
                    raise
                continue
            logger.info("deleted table %s", table)
