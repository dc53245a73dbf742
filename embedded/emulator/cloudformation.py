"""CloudFormation in moto, taught what our templates declare and moto skips.

moto's CloudFormation resolves intrinsic functions itself and builds each resource from the
``CloudFormationModel`` subclass registered for its type. Where it has no such class, it reports
the stack complete and creates nothing; where its class ignores a property, the property is lost.
For ``data.yaml`` and ``messaging.yaml`` that was:

- ``AWS::SNS::Subscription``: no class, so the topic had no subscriptions and every event was lost;
- ``AWS::SQS::QueuePolicy``: no class, so the queues had no policy;
- ``AWS::DynamoDB::Table``: ``TimeToLiveSpecification`` and ``PointInTimeRecoverySpecification``
  ignored, and no update at all (a changed table became ``None`` in moto's stack). Its global
  secondary indexes now change as CloudFormation changes them: one created or deleted per update;
  more, or an index whose keys or projection changed, fails the update with CloudFormation's own
  reason, and the stack rolls back (UPDATE_ROLLBACK_COMPLETE, the reason in its events);
- ``AWS::SQS::Queue`` on update: only ``VisibilityTimeout`` and ``ReceiveMessageWaitTimeSeconds``
  changed, so a new ``MaxReceiveCount`` never reached the redrive policy;
- ``AWS::SSM::Parameter``: ``Tags`` is a map in CloudFormation (a list of Key/Value pairs in SSM's
  own API), and moto read it as a list, so a tagged parameter (the strangler switch) failed the stack.

The classes and patches below close those gaps inside the emulator, so that the deploy tooling
speaks plain CloudFormation to every target. Each resource is created, updated and deleted with
the stack, as CloudFormation does.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from moto.cloudformation.models import Event, Stack
from moto.core.common_models import CloudFormationModel
from moto.dynamodb.models import dynamodb_backends
from moto.dynamodb.models.table import Table
from moto.sns.models import sns_backends
from moto.sqs.models import Queue, sqs_backends
from moto.ssm.models import Parameter
from moto.utilities.arns import parse_arn

from embedded.emulator.patching import StackResource, after_create, before_create, on_update, register_resource_types

__all__ = ["QueuePolicy", "ResourceUpdateFailed", "SubscriptionResource", "install"]

# Subscription properties that are subscription attributes, in the order they must be set
# (a filter policy's scope before the policy).
_SUBSCRIPTION_ATTRIBUTES = (
    "FilterPolicyScope",
    "FilterPolicy",
    "RawMessageDelivery",
    "DeliveryPolicy",
    "RedrivePolicy",
    "SubscriptionRoleArn",
)
# Changing one of these replaces the subscription, as on AWS.
_SUBSCRIPTION_IDENTITY = ("TopicArn", "Endpoint", "Protocol")

# AWS::SQS::Queue properties that are queue attributes and may change without replacing the queue.
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
)


def _attribute_string(value: Any) -> str:
    """A property value as the string the SNS and SQS attribute APIs take."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (Mapping, list)):
        return json.dumps(value, separators=(",", ":"))
    return str(value)


def _enabled(value: Any) -> bool:
    return _attribute_string(value).lower() == "true"


# ---------------------------------------------------------------------- AWS::SNS::Subscription
class SubscriptionResource(StackResource, CloudFormationModel):
    """An SNS subscription made by a stack; its physical id (and ``Ref``) is the subscription ARN."""

    TYPE = "AWS::SNS::Subscription"

    def __init__(self, arn: str, properties: Mapping[str, Any]) -> None:
        self.arn = arn
        self.properties = dict(properties)

    @property
    def physical_resource_id(self) -> str:
        return self.arn

    @classmethod
    def create(cls, name: str, properties: Mapping[str, Any], account_id: str, region_name: str) -> (
        SubscriptionResource
    ):
        backend = _sns_backend(str(properties["TopicArn"]))
        subscription = backend.subscribe(
            str(properties["TopicArn"]), str(properties["Endpoint"]), str(properties["Protocol"])
        )
        resource = cls(subscription.arn, properties)
        resource._apply_attributes({})
        return resource

    @classmethod
    def update(
        cls, resource: SubscriptionResource, name: str, properties: Mapping[str, Any], account_id: str, region_name: str
    ) -> SubscriptionResource:
        old = resource.properties
        if any(str(old.get(key)) != str(properties.get(key)) for key in _SUBSCRIPTION_IDENTITY):
            resource.delete(account_id, region_name)
            return cls.create(name, properties, account_id, region_name)
        updated = cls(resource.arn, properties)
        updated._apply_attributes(old)
        return updated

    def delete(self, account_id: str, region_name: str) -> None:
        _sns_backend(str(self.properties["TopicArn"])).unsubscribe(self.arn)

    def _apply_attributes(self, previous: Mapping[str, Any]) -> None:
        backend = _sns_backend(str(self.properties["TopicArn"]))
        for name in _SUBSCRIPTION_ATTRIBUTES:
            if name in self.properties:
                value: Any = _attribute_string(self.properties[name])
                if name == "RawMessageDelivery" and not _enabled(value):
                    value = False  # moto takes any non-empty string, "false" too, for raw delivery
            elif name in previous:
                value = False if name == "RawMessageDelivery" else ""  # removed from the template
            else:
                continue
            backend.set_subscription_attributes(self.arn, name, value)


def _sns_backend(topic_arn: str) -> Any:
    arn = parse_arn(topic_arn)
    return sns_backends[arn.account][arn.region]


# ---------------------------------------------------------------------- AWS::SQS::QueuePolicy
class QueuePolicy(StackResource, CloudFormationModel):
    """A policy document set on each of its queues; removed from them when the resource goes."""

    TYPE = "AWS::SQS::QueuePolicy"

    def __init__(self, resource_name: str, queue_urls: list[str], account_id: str, region_name: str) -> None:
        self.resource_name = resource_name
        self.queue_urls = queue_urls
        self.account_id = account_id
        self.region_name = region_name

    @property
    def physical_resource_id(self) -> str:
        return self.resource_name

    @classmethod
    def create(cls, name: str, properties: Mapping[str, Any], account_id: str, region_name: str) -> QueuePolicy:
        policy = cls(name, [str(url) for url in properties["Queues"]], account_id, region_name)
        document = properties["PolicyDocument"]
        text = document if isinstance(document, str) else json.dumps(document, separators=(",", ":"))
        for url in policy.queue_urls:
            policy._queue(url).policy = text
        return policy

    @classmethod
    def update(
        cls, resource: QueuePolicy, name: str, properties: Mapping[str, Any], account_id: str, region_name: str
    ) -> QueuePolicy:
        updated = cls.create(resource.resource_name, properties, account_id, region_name)
        for url in set(resource.queue_urls) - set(updated.queue_urls):
            resource._remove_from(url)
        return updated

    def delete(self, account_id: str, region_name: str) -> None:
        for url in self.queue_urls:
            self._remove_from(url)

    def _queue(self, url: str) -> Queue:
        return sqs_backends[self.account_id][self.region_name].get_queue(url.rstrip("/").rsplit("/", 1)[-1])

    def _remove_from(self, url: str) -> None:
        backend = sqs_backends[self.account_id][self.region_name]
        name = url.rstrip("/").rsplit("/", 1)[-1]
        if name in backend.queues:
            backend.queues[name].policy = None


# ---------------------------------------------------------------------- AWS::SQS::Queue (update)
def _update_queue(
    cls: type, original_resource: Queue, name: str, properties: Mapping[str, Any], account_id: str, region_name: str
) -> Queue:
    """Every attribute the template sets, changed in place (moto changed only two)."""
    attributes = {name: _attribute_string(properties[name]) for name in _QUEUE_ATTRIBUTES if name in properties}
    if "RedrivePolicy" not in properties and original_resource.redrive_policy:
        attributes["RedrivePolicy"] = ""  # removed from the template: no more dead-letter queue
    backend = sqs_backends[account_id][region_name]
    return backend.set_queue_attributes(original_resource.name, attributes)


# ---------------------------------------------------------------------- AWS::DynamoDB::Table
def _apply_table_settings(table: Table, properties: Mapping[str, Any], account_id: str, region_name: str) -> None:
    backend = dynamodb_backends[account_id][region_name]
    ttl = properties.get("TimeToLiveSpecification")
    if isinstance(ttl, Mapping):
        attribute = ttl.get("AttributeName") or table.ttl.get("AttributeName", "")
        backend.update_time_to_live(
            table.name, {"Enabled": _enabled(ttl.get("Enabled", False)), "AttributeName": attribute}
        )
    elif table.ttl.get("TimeToLiveStatus") == "ENABLED":
        backend.update_time_to_live(
            table.name, {"Enabled": False, "AttributeName": table.ttl.get("AttributeName", "")}
        )
    pitr = properties.get("PointInTimeRecoverySpecification")
    enabled = isinstance(pitr, Mapping) and _enabled(pitr.get("PointInTimeRecoveryEnabled", False))
    backend.update_continuous_backups(table.name, {"PointInTimeRecoveryEnabled": enabled})


_CHANGED_INDEX = (
    "Cannot update GSI's properties other than Provisioned Throughput and Contributor Insights "
    "Specification. You can create a new GSI with a different name."
)
_MORE_THAN_ONE_INDEX = "Cannot perform more than one GSI creation or deletion in a single update"


class ResourceUpdateFailed(Exception):
    """CloudFormation refuses to update one resource as the template asks: the stack rolls back."""

    def __init__(self, physical_id: str, reason: str) -> None:
        super().__init__(reason)
        self.physical_id = physical_id
        self.reason = reason


def _index_definition(index: Mapping[str, Any]) -> tuple[Any, ...]:
    """What of an index an update may not change: its keys and its projection."""
    projection = index.get("Projection") or {}
    return (
        tuple((key["AttributeName"], key["KeyType"]) for key in index["KeySchema"]),
        projection.get("ProjectionType", "ALL"),
        tuple(sorted(projection.get("NonKeyAttributes", []))),
    )


def _update_indexes(table: Table, properties: Mapping[str, Any], account_id: str, region_name: str) -> None:
    wanted = {index["IndexName"]: index for index in properties.get("GlobalSecondaryIndexes") or []}
    live = {index.name: {"KeySchema": index.schema, "Projection": index.projection} for index in table.global_indexes}
    if any(_index_definition(wanted[name]) != _index_definition(live[name]) for name in wanted.keys() & live.keys()):
        raise ResourceUpdateFailed(table.name, _CHANGED_INDEX)
    updates = [{"Create": wanted[name]} for name in wanted.keys() - live.keys()]
    updates += [{"Delete": {"IndexName": name}} for name in live.keys() - wanted.keys()]
    if len(updates) > 1:
        raise ResourceUpdateFailed(table.name, _MORE_THAN_ONE_INDEX)
    if updates:
        dynamodb_backends[account_id][region_name].update_table_global_indexes(table, updates)
        table.attr = list(properties.get("AttributeDefinitions") or table.attr)


def _update_table(
    cls: type, original_resource: Table, name: str, properties: Mapping[str, Any], account_id: str, region_name: str
) -> Table:
    """Indexes, TTL and point-in-time recovery follow the template; the keys are left as they are."""
    _update_indexes(original_resource, properties, account_id, region_name)
    _apply_table_settings(original_resource, properties, account_id, region_name)
    return original_resource


def _rolled_back_on_failure(update: Callable[..., None]) -> Callable[..., None]:
    """``Stack.update`` that, when a resource refuses its update, ends as CloudFormation's does:
    the resource UPDATE_FAILED with the reason, the stack UPDATE_ROLLBACK_COMPLETE with its previous
    template. (moto undoes nothing: a resource updated before the failing one keeps its update.)"""

    def update_or_roll_back(self: Stack, template: str, *args: Any, **kwargs: Any) -> None:
        previous = self.template
        try:
            update(self, template, *args, **kwargs)
        except ResourceUpdateFailed as failure:
            logical, resource_type = next(
                ((name, type(resource).cloudformation_type())
                 for name, resource in self.resource_map.items()
                 if getattr(resource, "physical_resource_id", None) == failure.physical_id),
                (failure.physical_id, "AWS::CloudFormation::CustomResource"),
            )
            self.events.append(Event(
                stack_id=self.stack_id, stack_name=self.name, logical_resource_id=logical,
                physical_resource_id=failure.physical_id, resource_type=resource_type,
                resource_status="UPDATE_FAILED", resource_status_reason=failure.reason, resource_properties=None,
            ))
            self._add_stack_event(
                "UPDATE_ROLLBACK_IN_PROGRESS",
                resource_status_reason=f"The following resource(s) failed to update: [{logical}]. ",
            )
            self.template = previous
            self._parse_template()
            self._add_stack_event("UPDATE_ROLLBACK_COMPLETE")
            self.status = "UPDATE_ROLLBACK_COMPLETE"

    return update_or_roll_back


def _tags_as_list(properties: dict[str, Any]) -> dict[str, Any]:
    """A Parameter's CloudFormation ``Tags`` map, as the Key/Value list moto's SSM expects."""
    if isinstance(properties.get("Tags"), Mapping):
        properties["Tags"] = [{"Key": key, "Value": str(value)} for key, value in properties["Tags"].items()]
    return properties


def install() -> None:
    """Register the new resource types and patch the existing ones in this process."""
    before_create(Parameter, _tags_as_list)
    on_update(Queue, _update_queue)
    after_create(Table, _apply_table_settings)
    on_update(Table, _update_table)
    Stack.update = _rolled_back_on_failure(Stack.update)  # type: ignore[method-assign]
    register_resource_types()
