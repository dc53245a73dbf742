"""The emulator's CloudFormation creates, updates and deletes what our templates declare.

moto's own CloudFormation skipped subscriptions, queue policies and table TTL, and updated only two
queue attributes. These tests deploy with plain CloudFormation (no client-side fix-ups) and look at
what the emulator then holds. ``tests/infra/test_topology_deploy.py`` compares a full deploy with
the templates; this module covers the life of a stack: update, replacement, deletion.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import boto3
import pytest

from deploy.local import DATA_TEMPLATE, MESSAGING_TEMPLATE
from deploy.stacks import DeployError, deploy_stack
from deploy.templates import load_template
from tests.infra.support import AwsClients


@pytest.fixture(scope="module")
def clients(emulator: str) -> AwsClients:
    return AwsClients.from_session(boto3.session.Session(region_name="us-east-1"), emulator)


def _deploy(clients: AwsClients, stack: str, template: Path, parameters: dict[str, str]) -> dict[str, str]:
    return deploy_stack(clients.cloudformation, stack, template, parameters, poll_delay=0.2, timeout=60)


def _subscriptions(clients: AwsClients, topic_arn: str) -> dict[str, dict[str, str]]:
    """Endpoint -> subscription attributes."""
    result = {}
    for sub in clients.sns.list_subscriptions_by_topic(TopicArn=topic_arn)["Subscriptions"]:
        arn = sub["SubscriptionArn"]
        result[sub["Endpoint"]] = clients.sns.get_subscription_attributes(SubscriptionArn=arn)["Attributes"]
    return result


def _queue(clients: AwsClients, url: str) -> dict[str, str]:
    attributes: dict[str, str] = clients.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    return attributes


def _variant(tmp_path: Path, change: Any) -> Path:
    """messaging.yaml with ``change(template)`` applied, written as JSON."""
    template = load_template(MESSAGING_TEMPLATE)
    change(template)
    path = tmp_path / "messaging.json"
    path.write_text(json.dumps(template), encoding="utf-8")
    return path


def test_a_plain_deploy_holds_subscriptions_policies_and_ttl(clients: AwsClients) -> None:
    outputs = _deploy(clients, "plain-data", DATA_TEMPLATE, {"ProjectName": "plain"})
    outputs |= _deploy(clients, "plain-messaging", MESSAGING_TEMPLATE, {"ProjectName": "plain"})

    subscriptions = _subscriptions(clients, outputs["EventsTopicArn"])
    assert set(subscriptions) == {outputs["LikeQueueArn"], outputs["AdoptionQueueArn"]}
    like = subscriptions[outputs["LikeQueueArn"]]
    assert json.loads(like["FilterPolicy"]) == {"event_type": ["LikeRequested"]}
    assert (like["FilterPolicyScope"], like["RawMessageDelivery"]) == ("MessageAttributes", "true")
    policy = json.loads(_queue(clients, outputs["LikeQueueUrl"])["Policy"])
    assert policy["Statement"][0]["Condition"] == {"ArnEquals": {"aws:SourceArn": outputs["EventsTopicArn"]}}
    ttl = clients.dynamodb.describe_time_to_live(TableName="plain-processed-events")["TimeToLiveDescription"]
    assert (ttl["TimeToLiveStatus"], ttl["AttributeName"]) == ("ENABLED", "ExpiresAt")
    backups = clients.dynamodb.describe_continuous_backups(TableName="plain-mysfits")["ContinuousBackupsDescription"]
    assert backups["PointInTimeRecoveryDescription"]["PointInTimeRecoveryStatus"] == "ENABLED"


def test_changed_parameters_reach_the_queues_and_keep_their_policy(clients: AwsClients) -> None:
    stack, parameters = "params-messaging", {"ProjectName": "params"}
    before = _deploy(clients, stack, MESSAGING_TEMPLATE, parameters)

    after = _deploy(
        clients,
        stack,
        MESSAGING_TEMPLATE,
        {**parameters, "MaxReceiveCount": "9", "VisibilityTimeout": "12", "MessageRetentionPeriod": "86400"},
    )

    attributes = _queue(clients, after["LikeQueueUrl"])
    assert json.loads(attributes["RedrivePolicy"])["maxReceiveCount"] == 9
    assert (attributes["VisibilityTimeout"], attributes["MessageRetentionPeriod"]) == ("12", "86400")
    assert "Policy" in attributes  # moto's SetQueueAttributes used to drop it on the way
    assert after["LikeQueueUrl"] == before["LikeQueueUrl"]
    assert len(_subscriptions(clients, after["EventsTopicArn"])) == 2


def test_a_changed_filter_policy_updates_the_subscription_in_place(clients: AwsClients, tmp_path: Path) -> None:
    stack, parameters = "filter-messaging", {"ProjectName": "filter"}
    outputs = _deploy(clients, stack, MESSAGING_TEMPLATE, parameters)
    arns_before = {
        sub["Endpoint"]: sub["SubscriptionArn"]
        for sub in clients.sns.list_subscriptions_by_topic(TopicArn=outputs["EventsTopicArn"])["Subscriptions"]
    }

    def widen(template: dict[str, Any]) -> None:
        template["Resources"]["LikeSubscription"]["Properties"]["FilterPolicy"] = {
            "event_type": ["LikeRequested", "LikeWithdrawn"]
        }

    _deploy(clients, stack, _variant(tmp_path, widen), parameters)

    like = _subscriptions(clients, outputs["EventsTopicArn"])[outputs["LikeQueueArn"]]
    assert json.loads(like["FilterPolicy"]) == {"event_type": ["LikeRequested", "LikeWithdrawn"]}
    assert like["SubscriptionArn"] == arns_before[outputs["LikeQueueArn"]]


def test_a_subscription_to_another_queue_replaces_the_old_one(clients: AwsClients, tmp_path: Path) -> None:
    stack, parameters = "move-messaging", {"ProjectName": "move"}
    outputs = _deploy(clients, stack, MESSAGING_TEMPLATE, parameters)

    def to_dlq(template: dict[str, Any]) -> None:
        template["Resources"]["LikeSubscription"]["Properties"]["Endpoint"] = {
            "Fn::GetAtt": ["LikeDeadLetterQueue", "Arn"]
        }

    _deploy(clients, stack, _variant(tmp_path, to_dlq), parameters)

    assert set(_subscriptions(clients, outputs["EventsTopicArn"])) == {
        outputs["LikeDeadLetterQueueArn"],
        outputs["AdoptionQueueArn"],
    }


def test_ttl_follows_the_template_on_update(clients: AwsClients, tmp_path: Path) -> None:
    stack = "ttl-data"
    _deploy(clients, stack, DATA_TEMPLATE, {"ProjectName": "ttlupd"})
    template = load_template(DATA_TEMPLATE)
    del template["Resources"]["ProcessedEventsTable"]["Properties"]["TimeToLiveSpecification"]
    template["Resources"]["ProcessedEventsTable"]["Properties"]["PointInTimeRecoverySpecification"] = {
        "PointInTimeRecoveryEnabled": False
    }
    path = tmp_path / "data.json"
    path.write_text(json.dumps(template), encoding="utf-8")

    outputs = _deploy(clients, stack, path, {"ProjectName": "ttlupd"})

    table = outputs["ProcessedEventsTableName"]
    assert clients.dynamodb.describe_time_to_live(TableName=table)["TimeToLiveDescription"]["TimeToLiveStatus"] == (
        "DISABLED"
    )
    backups = clients.dynamodb.describe_continuous_backups(TableName=table)["ContinuousBackupsDescription"]
    assert backups["PointInTimeRecoveryDescription"]["PointInTimeRecoveryStatus"] == "DISABLED"


def test_deleting_the_stack_removes_its_subscriptions_and_policies(clients: AwsClients) -> None:
    stack = "gone-messaging"
    outputs = _deploy(clients, stack, MESSAGING_TEMPLATE, {"ProjectName": "gone"})
    topic = outputs["EventsTopicArn"]
    assert _subscriptions(clients, topic)

    clients.cloudformation.delete_stack(StackName=stack)
    clients.cloudformation.get_waiter("stack_delete_complete").wait(
        StackName=stack, WaiterConfig={"Delay": 1, "MaxAttempts": 30}
    )

    remaining = [
        sub
        for page in clients.sns.get_paginator("list_subscriptions").paginate()
        for sub in page["Subscriptions"]
        if sub["TopicArn"] == topic
    ]
    assert remaining == []


def test_set_queue_attributes_leaves_the_policy_alone(clients: AwsClients) -> None:
    url = clients.sqs.create_queue(QueueName="policy-kept")["QueueUrl"]
    policy = json.dumps({"Version": "2012-10-17", "Statement": [{"Sid": "s", "Effect": "Allow", "Principal": "*",
                                                                   "Action": "sqs:SendMessage", "Resource": "*"}]})
    clients.sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": policy})

    clients.sqs.set_queue_attributes(QueueUrl=url, Attributes={"VisibilityTimeout": "5"})

    attributes = _queue(clients, url)
    assert json.loads(attributes["Policy"]) == json.loads(policy)
    assert attributes["VisibilityTimeout"] == "5"


def test_an_http_namespace_is_created_with_its_arn_and_deleted_with_its_stack(
    clients: AwsClients, tmp_path: Path, emulator: str
) -> None:
    # GIVEN a template with the services stack's Cloud Map namespace, its ARN an output
    template = {
        "Resources": {
            "Namespace": {"Type": "AWS::ServiceDiscovery::HttpNamespace", "Properties": {"Name": "ns.internal"}}
        },
        "Outputs": {"Arn": {"Value": {"Fn::GetAtt": ["Namespace", "Arn"]}}, "Id": {"Value": {"Ref": "Namespace"}}},
    }
    path = tmp_path / "namespace.json"
    path.write_text(json.dumps(template), encoding="utf-8")
    cloud_map = boto3.session.Session(region_name="us-east-1").client("servicediscovery", endpoint_url=emulator)

    # WHEN it is deployed
    outputs = _deploy(clients, "namespace", path, {})

    # THEN the namespace exists, named so, and the outputs are its ARN and id
    (namespace,) = [n for n in cloud_map.list_namespaces()["Namespaces"] if n["Name"] == "ns.internal"]
    assert (outputs["Arn"], outputs["Id"]) == (namespace["Arn"], namespace["Id"])
    clients.cloudformation.delete_stack(StackName="namespace")
    clients.cloudformation.get_waiter("stack_delete_complete").wait(
        StackName="namespace", WaiterConfig={"Delay": 1, "MaxAttempts": 30}
    )
    assert [n for n in cloud_map.list_namespaces()["Namespaces"] if n["Name"] == "ns.internal"] == []


_LOAD_BALANCER_TEMPLATE = {
    "Parameters": {"Scheme": {"Type": "String"}, "Idle": {"Type": "String"}},
    "Resources": {
        "Vpc": {"Type": "AWS::EC2::VPC", "Properties": {"CidrBlock": "10.9.0.0/16"}},
        "SubnetA": {
            "Type": "AWS::EC2::Subnet",
            "Properties": {"VpcId": {"Ref": "Vpc"}, "CidrBlock": "10.9.0.0/24", "AvailabilityZone": "us-east-1a"},
        },
        "SubnetB": {
            "Type": "AWS::EC2::Subnet",
            "Properties": {"VpcId": {"Ref": "Vpc"}, "CidrBlock": "10.9.1.0/24", "AvailabilityZone": "us-east-1b"},
        },
        "LoadBalancer": {
            "Type": "AWS::ElasticLoadBalancingV2::LoadBalancer",
            "Properties": {
                "Scheme": {"Ref": "Scheme"},
                "Subnets": [{"Ref": "SubnetA"}, {"Ref": "SubnetB"}],
                "LoadBalancerAttributes": [{"Key": "idle_timeout.timeout_seconds", "Value": {"Ref": "Idle"}}],
            },
        },
    },
    "Outputs": {
        "Arn": {"Value": {"Ref": "LoadBalancer"}},
        "Dns": {"Value": {"Fn::GetAtt": ["LoadBalancer", "DNSName"]}},
    },
}


def test_a_load_balancer_is_updated_in_place_and_replaced_for_a_new_scheme(
    clients: AwsClients, tmp_path: Path, emulator: str
) -> None:
    path = tmp_path / "load-balancer.json"
    path.write_text(json.dumps(_LOAD_BALANCER_TEMPLATE), encoding="utf-8")
    elbv2 = boto3.session.Session(region_name="us-east-1").client("elbv2", endpoint_url=emulator)
    created = _deploy(clients, "load-balancer", path, {"Scheme": "internet-facing", "Idle": "60"})

    # WHEN a property that needs no replacement changes, THEN the same load balancer stays
    assert _deploy(clients, "load-balancer", path, {"Scheme": "internet-facing", "Idle": "30"}) == created

    # WHEN the scheme changes, THEN a new load balancer replaces it
    replaced = _deploy(clients, "load-balancer", path, {"Scheme": "internal", "Idle": "30"})
    assert replaced["Arn"] != created["Arn"] and replaced["Dns"] != created["Dns"]
    (described,) = elbv2.describe_load_balancers(LoadBalancerArns=[replaced["Arn"]])["LoadBalancers"]
    assert described["Scheme"] == "internal"
    arns = {lb["LoadBalancerArn"] for lb in elbv2.describe_load_balancers()["LoadBalancers"]}
    assert created["Arn"] not in arns


def _data_variant(tmp_path: Path, name: str, indexes: Any) -> Path:
    """data.yaml whose mysfits table has the indexes ``indexes(template's indexes)``, with their key
    attributes defined, written as JSON."""
    template = load_template(DATA_TEMPLATE)
    table = template["Resources"]["MysfitsTable"]["Properties"]
    table["GlobalSecondaryIndexes"] = indexes(table["GlobalSecondaryIndexes"])
    used = {key["AttributeName"] for index in table["GlobalSecondaryIndexes"] for key in index["KeySchema"]}
    table["AttributeDefinitions"] = [a for a in table["AttributeDefinitions"]
                                     if a["AttributeName"] in used | {"MysfitId"}]
    path = tmp_path / f"{name}.json"
    path.write_text(json.dumps(template), encoding="utf-8")
    return path


def _projection(projection_type: str) -> Any:
    return lambda indexes: [{**index, "Projection": {"ProjectionType": projection_type}} for index in indexes]


def _indexes(clients: AwsClients, table: str) -> dict[str, str]:
    described = clients.dynamodb.describe_table(TableName=table)["Table"].get("GlobalSecondaryIndexes", [])
    return {index["IndexName"]: index["Projection"]["ProjectionType"] for index in described}


def test_a_table_update_creates_or_deletes_one_index_and_refuses_more_or_a_changed_one_as_aws_does(
    clients: AwsClients, tmp_path: Path
) -> None:
    # GIVEN a data stack whose two indexes project ALL
    stack, parameters = "gsi-data", {"ProjectName": "gsiupd"}
    table = _deploy(clients, stack, _data_variant(tmp_path, "all", _projection("ALL")), parameters)["MysfitsTableName"]
    clients.dynamodb.put_item(TableName=table, Item={"MysfitId": {"S": "kept"}, "GoodEvil": {"S": "Good"},
                                                     "LawChaos": {"S": "Lawful"}})

    # WHEN an update changes both indexes' projection, THEN it fails and rolls back, as CloudFormation
    # refuses a changed index (and more than one index created or deleted per update)
    with pytest.raises(DeployError) as changed:
        _deploy(clients, stack, _data_variant(tmp_path, "keys", _projection("KEYS_ONLY")), parameters)
    assert "Cannot update GSI's properties other than Provisioned Throughput" in str(changed.value)
    assert clients.cloudformation.describe_stacks(StackName=stack)["Stacks"][0]["StackStatus"] == (
        "UPDATE_ROLLBACK_COMPLETE"
    )
    with pytest.raises(DeployError) as two:
        _deploy(clients, stack, _data_variant(tmp_path, "none", lambda indexes: []), parameters)
    assert "Cannot perform more than one GSI creation or deletion in a single update" in str(two.value)
    assert _indexes(clients, table) == {"GoodEvilIndex": "ALL", "LawChaosIndex": "ALL"}

    # WHEN updates delete one index, then create it again projecting keys only
    _deploy(clients, stack, _data_variant(tmp_path, "one", lambda indexes: _projection("ALL")(indexes)[1:]), parameters)
    assert _indexes(clients, table) == {"LawChaosIndex": "ALL"}
    _deploy(clients, stack, _data_variant(tmp_path, "back", lambda indexes: [
        _projection("KEYS_ONLY")(indexes)[0], _projection("ALL")(indexes)[1]]), parameters)

    # THEN each is applied, and the table keeps its items
    assert _indexes(clients, table) == {"GoodEvilIndex": "KEYS_ONLY", "LawChaosIndex": "ALL"}
    assert clients.dynamodb.get_item(TableName=table, Key={"MysfitId": {"S": "kept"}}).get("Item")
    keys = clients.dynamodb.query(TableName=table, IndexName="GoodEvilIndex", KeyConditionExpression="GoodEvil = :g",
                                  ExpressionAttributeValues={":g": {"S": "Good"}})["Items"]
    assert keys == [{"MysfitId": {"S": "kept"}, "GoodEvil": {"S": "Good"}}]
