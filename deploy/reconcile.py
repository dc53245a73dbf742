"""Make an emulator hold what a template declares, where its CloudFormation silently skipped it.

moto's CloudFormation reports CREATE_COMPLETE for a stack but creates nothing for resource types it
does not implement (``AWS::SNS::Subscription``, ``AWS::SQS::QueuePolicy``), ignores some properties
(a table's ``TimeToLiveSpecification`` and ``PointInTimeRecoverySpecification``) and, on a stack
update, changes only a queue's visibility timeout and wait time. Without a fix the local topology
would publish into a topic that has no subscriptions.

:func:`reconcile_skipped_resources` reads those definitions from the *same template*, resolves
their intrinsic functions against the deployed stack and applies them with plain API calls,
checking first: whatever already matches (LocalStack, AWS, or a second run) is left alone.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import boto3

from deploy.clients import AwsClients
from deploy.intrinsics import IntrinsicResolver, ResolveError
from deploy.templates import load_template

__all__ = ["ReconcileError", "reconcile_skipped_resources"]

log = logging.getLogger(__name__)

# Subscription properties that are subscription attributes (in the order they are applied).
_SUBSCRIPTION_ATTRIBUTES = (
    "FilterPolicyScope",
    "FilterPolicy",
    "RawMessageDelivery",
    "DeliveryPolicy",
    "RedrivePolicy",
    "ReplayPolicy",
    "SubscriptionRoleArn",
)
_JSON_ATTRIBUTES = frozenset({"FilterPolicy", "DeliveryPolicy", "RedrivePolicy", "ReplayPolicy", "Policy"})

# AWS::SQS::Queue properties that are queue attributes and may change after creation.
_QUEUE_ATTRIBUTES = (
    "DelaySeconds",
    "MaximumMessageSize",
    "MessageRetentionPeriod",
    "ReceiveMessageWaitTimeSeconds",
    "VisibilityTimeout",
    "RedrivePolicy",
    "RedriveAllowPolicy",
    "SqsManagedSseEnabled",
    "KmsMasterKeyId",
    "KmsDataKeyReusePeriodSeconds",
    "ContentBasedDeduplication",
    "DeduplicationScope",
    "FifoThroughputLimit",
)


class ReconcileError(RuntimeError):
    """A skipped resource could not be resolved or applied."""


def _attribute_string(value: Any) -> str:
    """A property value as the string the SNS/SQS attribute APIs take."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (Mapping, list)):
        return json.dumps(value, separators=(",", ":"))
    return str(value)


def _normalise(value: Any) -> Any:
    """Canonical form for comparing JSON documents: one-element lists are scalars, lists are
    unordered, scalars are strings ("5" == 5, "true" == True)."""
    if isinstance(value, Mapping):
        return {str(key): _normalise(item) for key, item in value.items()}
    if isinstance(value, list):
        items = [_normalise(item) for item in value]
        if len(items) == 1:
            return items[0]
        return sorted(items, key=lambda item: json.dumps(item, sort_keys=True))
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return None
    return str(value)


def _same_attribute(name: str, actual: str | None, desired: str) -> bool:
    if actual is None:
        return False
    if name in _JSON_ATTRIBUTES or name == "RedriveAllowPolicy":
        try:
            return bool(_normalise(json.loads(actual)) == _normalise(json.loads(desired)))
        except ValueError:
            return actual == desired
    if desired.lower() in ("true", "false"):
        return actual.lower() == desired.lower()
    return actual == desired


class _StackContext:
    """What the template's intrinsic functions need to know about the deployed stack."""

    def __init__(
        self, clients: AwsClients, stack_name: str, template: Mapping[str, Any], parameters: Mapping[str, str]
    ) -> None:
        self.clients = clients
        self.stack_name = stack_name
        cfn = clients.cloudformation
        try:
            stack = cfn.describe_stacks(StackName=stack_name)["Stacks"][0]
        except Exception as exc:
            raise ReconcileError(f"stack {stack_name} cannot be described: {exc}") from exc
        stack_id = str(stack["StackId"])
        # arn:<partition>:cloudformation:<region>:<account>:stack/<name>/<id>
        arn = stack_id.split(":")
        if len(arn) < 6 or arn[0] != "arn":
            raise ReconcileError(f"unexpected stack id {stack_id!r}")
        partition, region, account = arn[1], arn[3], arn[4]

        values: dict[str, str] = {}
        for name, spec in (template.get("Parameters") or {}).items():
            if isinstance(spec, Mapping) and "Default" in spec:
                default = spec["Default"]
                values[name] = ",".join(map(str, default)) if isinstance(default, list) else str(default)
        values.update({key: str(value) for key, value in parameters.items()})
        for item in stack.get("Parameters", []):  # what is deployed wins (unless masked by NoEcho)
            if item.get("ParameterValue") is not None and set(str(item["ParameterValue"])) != {"*"}:
                values[item["ParameterKey"]] = str(item["ParameterValue"])

        self.resource_types: dict[str, str] = {}
        physical_ids: dict[str, str] = {}
        for page in cfn.get_paginator("list_stack_resources").paginate(StackName=stack_name):
            for summary in page.get("StackResourceSummaries", []):
                if summary.get("PhysicalResourceId") and not str(summary.get("ResourceStatus", "")).startswith(
                    "DELETE"
                ):
                    physical_ids[summary["LogicalResourceId"]] = str(summary["PhysicalResourceId"])
                    self.resource_types[summary["LogicalResourceId"]] = str(summary["ResourceType"])
        self.physical_ids = physical_ids
        self._attribute_cache: dict[tuple[str, str], Any] = {}

        self.resolver = IntrinsicResolver(
            template,
            parameters=values,
            pseudo_parameters={
                "AWS::AccountId": account,
                "AWS::Partition": partition,
                "AWS::Region": region,
                "AWS::StackId": stack_id,
                "AWS::StackName": str(stack["StackName"]),
                "AWS::URLSuffix": "amazonaws.com.cn" if partition == "aws-cn" else "amazonaws.com",
                "AWS::NotificationARNs": list(stack.get("NotificationARNs", [])),
            },
            physical_ids=physical_ids,
            get_att=self.get_att,
            import_value=self.import_value,
        )

    def get_att(self, logical_id: str, attribute: str) -> Any:
        key = (logical_id, attribute)
        if key not in self._attribute_cache:
            self._attribute_cache[key] = self._lookup_attribute(logical_id, attribute)
        return self._attribute_cache[key]

    def _lookup_attribute(self, logical_id: str, attribute: str) -> Any:
        if logical_id not in self.physical_ids:
            raise ResolveError(f"Fn::GetAtt {logical_id}.{attribute}: {logical_id} is not deployed in the stack")
        physical_id = self.physical_ids[logical_id]
        kind = self.resource_types[logical_id]
        lookups: dict[str, dict[str, Callable[[], Any]]] = {
            "AWS::SQS::Queue": {
                "Arn": lambda: self.clients.sqs.get_queue_attributes(QueueUrl=physical_id, AttributeNames=["QueueArn"])[
                    "Attributes"
                ]["QueueArn"],
                "QueueUrl": lambda: physical_id,
                "QueueName": lambda: physical_id.rstrip("/").rsplit("/", 1)[-1],
            },
            "AWS::SNS::Topic": {
                "TopicArn": lambda: physical_id,
                "TopicName": lambda: physical_id.rsplit(":", 1)[-1],
            },
            "AWS::DynamoDB::Table": {
                "Arn": lambda: self.clients.dynamodb.describe_table(TableName=physical_id)["Table"]["TableArn"],
                "StreamArn": lambda: self.clients.dynamodb.describe_table(TableName=physical_id)["Table"][
                    "LatestStreamArn"
                ],
            },
        }
        lookup = lookups.get(kind, {}).get(attribute)
        if lookup is None:
            raise ResolveError(f"Fn::GetAtt {logical_id}.{attribute} ({kind}) is not supported")
        return lookup()

    def import_value(self, name: str) -> str:
        for page in self.clients.cloudformation.get_paginator("list_exports").paginate():
            for export in page.get("Exports", []):
                if export.get("Name") == name:
                    return str(export["Value"])
        raise ResolveError(f"Fn::ImportValue: no export named {name!r}")


# ---------------------------------------------------------------------- per resource type
def _ensure_subscription(ctx: _StackContext, logical_id: str, props: Mapping[str, Any]) -> list[str]:
    sns = ctx.clients.sns
    topic_arn, protocol, endpoint = str(props["TopicArn"]), str(props["Protocol"]), str(props["Endpoint"])
    desired = {name: _attribute_string(props[name]) for name in _SUBSCRIPTION_ATTRIBUTES if name in props}

    existing: dict[str, Any] | None = None
    for page in sns.get_paginator("list_subscriptions_by_topic").paginate(TopicArn=topic_arn):
        for sub in page.get("Subscriptions", []):
            if sub.get("Protocol") == protocol and sub.get("Endpoint") == endpoint:
                existing = sub
                break
        if existing is not None:
            break

    if existing is None:
        arn = sns.subscribe(
            TopicArn=topic_arn, Protocol=protocol, Endpoint=endpoint, Attributes=desired, ReturnSubscriptionArn=True
        )["SubscriptionArn"]
        return [f"{logical_id}: subscribed {protocol} {endpoint} to {topic_arn} ({arn})"]

    arn = str(existing["SubscriptionArn"])
    if arn == "PendingConfirmation":
        return []  # nothing to set until the endpoint confirms (never the case for sqs)
    actual: dict[str, str] = sns.get_subscription_attributes(SubscriptionArn=arn)["Attributes"]
    if "FilterPolicy" in actual:
        actual.setdefault("FilterPolicyScope", "MessageAttributes")  # the documented default
    names = [name for name in desired if not _same_attribute(name, actual.get(name), desired[name])]
    if "FilterPolicy" not in actual and "FilterPolicyScope" in names and "FilterPolicy" in names:
        # A scope cannot be set before there is a filter policy.
        names.remove("FilterPolicyScope")
        names.insert(names.index("FilterPolicy") + 1, "FilterPolicyScope")
    changes = []
    for name in names:
        sns.set_subscription_attributes(SubscriptionArn=arn, AttributeName=name, AttributeValue=desired[name])
        changes.append(f"{logical_id}: set {name} of {arn}")
    return changes


def _ensure_queue_policy(ctx: _StackContext, logical_id: str, props: Mapping[str, Any]) -> list[str]:
    document = props["PolicyDocument"]
    desired = document if isinstance(document, str) else json.dumps(document, separators=(",", ":"))
    changes = []
    for queue_url in props.get("Queues", []):
        attributes = ctx.clients.sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["Policy"])
        if not _same_attribute("Policy", attributes.get("Attributes", {}).get("Policy"), desired):
            ctx.clients.sqs.set_queue_attributes(QueueUrl=queue_url, Attributes={"Policy": desired})
            changes.append(f"{logical_id}: set Policy of {queue_url}")
    return changes


def _ensure_queue_attributes(ctx: _StackContext, logical_id: str, props: Mapping[str, Any]) -> list[str]:
    queue_url = ctx.physical_ids.get(logical_id)
    if queue_url is None:
        raise ReconcileError(f"{logical_id}: the queue is not part of the deployed stack")
    actual: dict[str, str] = ctx.clients.sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["All"]).get(
        "Attributes", {}
    )
    desired = {name: _attribute_string(props[name]) for name in _QUEUE_ATTRIBUTES if name in props}
    # An attribute the service does not report (moto omits RedriveAllowPolicy) cannot be checked.
    drift = {
        name: value
        for name, value in desired.items()
        if name in actual and not _same_attribute(name, actual[name], value)
    }
    if not drift:
        return []
    ctx.clients.sqs.set_queue_attributes(QueueUrl=queue_url, Attributes=drift)
    return [f"{logical_id}: set {', '.join(sorted(drift))} of {queue_url}"]


def _ensure_table_settings(ctx: _StackContext, logical_id: str, props: Mapping[str, Any]) -> list[str]:
    table = ctx.physical_ids.get(logical_id)
    if table is None:
        raise ReconcileError(f"{logical_id}: the table is not part of the deployed stack")
    dynamodb = ctx.clients.dynamodb
    changes = []

    ttl = props.get("TimeToLiveSpecification")
    if isinstance(ttl, Mapping):
        want = _attribute_string(ttl.get("Enabled", False)) == "true"
        current = dynamodb.describe_time_to_live(TableName=table).get("TimeToLiveDescription", {})
        status = current.get("TimeToLiveStatus", "DISABLED")
        on = status in ("ENABLED", "ENABLING")
        if want and not (on and current.get("AttributeName") == ttl["AttributeName"]):
            dynamodb.update_time_to_live(
                TableName=table,
                TimeToLiveSpecification={"Enabled": True, "AttributeName": str(ttl["AttributeName"])},
            )
            changes.append(f"{logical_id}: enabled TTL on {ttl['AttributeName']} of table {table}")
        elif not want and on:
            dynamodb.update_time_to_live(
                TableName=table,
                TimeToLiveSpecification={"Enabled": False, "AttributeName": str(current["AttributeName"])},
            )
            changes.append(f"{logical_id}: disabled TTL of table {table}")

    pitr = props.get("PointInTimeRecoverySpecification")
    if isinstance(pitr, Mapping):
        want = _attribute_string(pitr.get("PointInTimeRecoveryEnabled", False)) == "true"
        description = dynamodb.describe_continuous_backups(TableName=table)["ContinuousBackupsDescription"]
        status = description.get("PointInTimeRecoveryDescription", {}).get("PointInTimeRecoveryStatus")
        if (status == "ENABLED") != want:
            dynamodb.update_continuous_backups(
                TableName=table, PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": want}
            )
            changes.append(f"{logical_id}: {'enabled' if want else 'disabled'} point-in-time recovery of {table}")
    return changes


_HANDLERS: dict[str, Callable[[_StackContext, str, Mapping[str, Any]], list[str]]] = {
    # Created in an order where what a resource needs already exists.
    "AWS::DynamoDB::Table": _ensure_table_settings,
    "AWS::SQS::Queue": _ensure_queue_attributes,
    "AWS::SQS::QueuePolicy": _ensure_queue_policy,
    "AWS::SNS::Subscription": _ensure_subscription,
}


def reconcile_skipped_resources(
    session_or_clients: boto3.session.Session | AwsClients,
    stack_name: str,
    template_path: str | Path,
    parameters: Mapping[str, str] | None = None,
    *,
    endpoint_url: str | None = None,
) -> list[str]:
    """Ensure the template's subscriptions, queue policies, queue attributes and table TTL/PITR
    exist in the account as declared, for the deployed stack ``stack_name``; return the changes.

    Idempotent, and a no-op (empty list) where the service's CloudFormation already did its job.
    ``parameters`` are the ones the stack was deployed with (the stack's own values win; template
    defaults fill the gaps). ``endpoint_url`` applies only when a session is given.
    """
    clients = (
        session_or_clients
        if isinstance(session_or_clients, AwsClients)
        else AwsClients.from_session(session_or_clients, endpoint_url)
    )
    template = load_template(template_path)
    ctx = _StackContext(clients, stack_name, template, parameters or {})
    resources: Mapping[str, Any] = template["Resources"]

    changes: list[str] = []
    for kind, handler in _HANDLERS.items():
        for logical_id, resource in resources.items():
            if not isinstance(resource, Mapping) or resource.get("Type") != kind:
                continue
            try:
                if not ctx.resolver.resource_enabled(logical_id):
                    continue
                props = ctx.resolver.resolve(resource.get("Properties") or {})
                changed = handler(ctx, logical_id, props)
            except ReconcileError:
                raise
            except ResolveError as exc:
                raise ReconcileError(f"stack {stack_name}, {logical_id}: {exc}") from exc
            except Exception as exc:  # API errors, missing properties: say which resource failed
                raise ReconcileError(f"stack {stack_name}, {logical_id} ({kind}): {exc}") from exc
            for change in changed:
                log.info("reconciled %s", change)
            changes.extend(changed)
    return changes
