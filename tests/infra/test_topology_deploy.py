"""Deploy the data and messaging templates to the embedded emulator and check what it holds.

Expectations are read from the loaded templates, not copied: if a template changes, these tests
check the new declaration.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest

from deploy.local import DATA_TEMPLATE, MESSAGING_TEMPLATE, deploy_local_topology
from deploy.stacks import deploy_stack
from deploy.templates import load_template
from deploy.topology import Topology, data_stack_name, messaging_stack_name
from tests.infra.support import AwsClients

PROJECT = "mysfits"
MAX_RECEIVE_COUNT = 3  # not the default (5): proves the parameter reaches the redrive policy
VISIBILITY_TIMEOUT = 7


@dataclass(frozen=True)
class Deployed:
    topology: Topology
    clients: AwsClients
    data: dict[str, Any]  # loaded templates
    messaging: dict[str, Any]
    parameters: dict[str, str]  # effective messaging parameters (defaults + what we passed)
    physical: dict[str, str]  # logical id -> physical id, both stacks


def _of_type(template: Mapping[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {name: res for name, res in template["Resources"].items() if res["Type"] == kind}


def _ref(value: Any) -> str:
    assert isinstance(value, dict) and set(value) == {"Ref"}, value
    return str(value["Ref"])


def _getatt(value: Any) -> tuple[str, str]:
    assert isinstance(value, dict) and set(value) == {"Fn::GetAtt"}, value
    logical_id, attribute = value["Fn::GetAtt"]
    return str(logical_id), str(attribute)


@pytest.fixture(scope="module")
def deployed(emulator: str) -> Deployed:
    topology = deploy_local_topology(
        emulator, project=PROJECT, max_receive_count=MAX_RECEIVE_COUNT, visibility_timeout=VISIBILITY_TIMEOUT
    )
    clients = AwsClients.from_session(boto3.session.Session(region_name="us-east-1"), emulator)
    messaging = load_template(MESSAGING_TEMPLATE)
    parameters = {name: str(spec["Default"]) for name, spec in messaging["Parameters"].items()}
    parameters.update(
        ProjectName=PROJECT, MaxReceiveCount=str(MAX_RECEIVE_COUNT), VisibilityTimeout=str(VISIBILITY_TIMEOUT)
    )
    physical: dict[str, str] = {}
    for stack in (data_stack_name(PROJECT), messaging_stack_name(PROJECT)):
        for res in clients.cloudformation.list_stack_resources(StackName=stack)["StackResourceSummaries"]:
            if res.get("LogicalResourceId"):
                physical[res["LogicalResourceId"]] = res["PhysicalResourceId"]
    return Deployed(topology, clients, load_template(DATA_TEMPLATE), messaging, parameters, physical)


def _queue_attributes(deployed: Deployed, logical_id: str) -> dict[str, str]:
    attributes: dict[str, str] = deployed.clients.sqs.get_queue_attributes(
        QueueUrl=deployed.physical[logical_id], AttributeNames=["All"]
    )["Attributes"]
    return attributes


def _queue_arn(deployed: Deployed, logical_id: str) -> str:
    return _queue_attributes(deployed, logical_id)["QueueArn"]


def _topic_arn(deployed: Deployed, logical_id: str) -> str:
    return deployed.physical[logical_id]


def _subscriptions(deployed: Deployed) -> list[dict[str, Any]]:
    topic = deployed.topology.events_topic_arn
    subscriptions: list[dict[str, Any]] = deployed.clients.sns.list_subscriptions_by_topic(TopicArn=topic)[
        "Subscriptions"
    ]
    return subscriptions


# ---------------------------------------------------------------------------- the topology
def test_topology_points_at_the_stack_outputs(deployed: Deployed) -> None:
    t = deployed.topology
    assert t.mysfits_table == f"{PROJECT}-mysfits"
    assert t.processed_events_table == f"{PROJECT}-processed-events"
    assert t.events_topic_arn.endswith(f":{PROJECT}-events")
    assert t.queues["like"].url.endswith(f"/{PROJECT}-like-requests")
    assert t.queues["like"].dlq_url.endswith(f"/{PROJECT}-like-requests-dlq")
    assert t.queues["adoption"].url.endswith(f"/{PROJECT}-adoption-requests")
    assert t.queues["adoption"].dlq_url.endswith(f"/{PROJECT}-adoption-requests-dlq")
    with pytest.raises(AttributeError):
        t.mysfits_table = "other"  # type: ignore[misc]


def test_every_declared_output_is_there_and_exported(deployed: Deployed) -> None:
    cfn = deployed.clients.cloudformation
    # (.get: the emulator is shared, and another stack may export a Ref to a resource moto skips.)
    exports = {
        export["Name"]: export.get("Value")
        for page in cfn.get_paginator("list_exports").paginate()
        for export in page["Exports"]
    }
    for stack, template in (
        (data_stack_name(PROJECT), deployed.data),
        (messaging_stack_name(PROJECT), deployed.messaging),
    ):
        outputs = {
            o["OutputKey"]: o["OutputValue"] for o in cfn.describe_stacks(StackName=stack)["Stacks"][0]["Outputs"]
        }
        assert set(outputs) == set(template["Outputs"])
        for key, value in outputs.items():
            assert exports[f"{stack}-{key}"] == value


# ---------------------------------------------------------------------------- DynamoDB
def test_tables_match_the_template(deployed: Deployed) -> None:
    dynamodb = deployed.clients.dynamodb
    tables = _of_type(deployed.data, "AWS::DynamoDB::Table")
    assert set(tables) == {"MysfitsTable", "ProcessedEventsTable"}
    for logical_id, resource in tables.items():
        props = resource["Properties"]
        table = dynamodb.describe_table(TableName=deployed.physical[logical_id])["Table"]
        assert table["TableName"] == props["TableName"]["Fn::Sub"].replace("${ProjectName}", PROJECT)
        assert table["KeySchema"] == props["KeySchema"]
        assert sorted(table["AttributeDefinitions"], key=str) == sorted(props["AttributeDefinitions"], key=str)
        assert table["BillingModeSummary"]["BillingMode"] == props["BillingMode"]
        declared_gsis = {g["IndexName"]: g for g in props.get("GlobalSecondaryIndexes", [])}
        actual_gsis = {g["IndexName"]: g for g in table.get("GlobalSecondaryIndexes", [])}
        assert set(actual_gsis) == set(declared_gsis)
        for name, gsi in declared_gsis.items():
            assert actual_gsis[name]["KeySchema"] == gsi["KeySchema"]
            assert actual_gsis[name]["Projection"] == gsi["Projection"]

        ttl = dynamodb.describe_time_to_live(TableName=table["TableName"])["TimeToLiveDescription"]
        if "TimeToLiveSpecification" in props:
            assert props["TimeToLiveSpecification"]["Enabled"] is True
            assert ttl["TimeToLiveStatus"] in ("ENABLED", "ENABLING")
            assert ttl["AttributeName"] == props["TimeToLiveSpecification"]["AttributeName"]
        else:
            assert ttl["TimeToLiveStatus"] == "DISABLED"

        pitr = dynamodb.describe_continuous_backups(TableName=table["TableName"])["ContinuousBackupsDescription"]
        wanted = props["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"]
        assert (pitr["PointInTimeRecoveryDescription"]["PointInTimeRecoveryStatus"] == "ENABLED") is wanted


def test_the_gsis_answer_queries(deployed: Deployed) -> None:
    dynamodb = deployed.clients.dynamodb
    table = deployed.topology.mysfits_table
    dynamodb.put_item(
        TableName=table, Item={"MysfitId": {"S": "m-1"}, "GoodEvil": {"S": "Good"}, "LawChaos": {"S": "Lawful"}}
    )
    try:
        for index, key, value in (("GoodEvilIndex", "GoodEvil", "Good"), ("LawChaosIndex", "LawChaos", "Lawful")):
            items = dynamodb.query(
                TableName=table,
                IndexName=index,
                KeyConditionExpression="#k = :v",
                ExpressionAttributeNames={"#k": key},
                ExpressionAttributeValues={":v": {"S": value}},
            )["Items"]
            assert [item["MysfitId"]["S"] for item in items] == ["m-1"]
    finally:
        dynamodb.delete_item(TableName=table, Key={"MysfitId": {"S": "m-1"}})


# ---------------------------------------------------------------------------- SQS
def test_queues_match_the_template(deployed: Deployed) -> None:
    queues = _of_type(deployed.messaging, "AWS::SQS::Queue")
    redriven = {name: res for name, res in queues.items() if "RedrivePolicy" in res["Properties"]}
    assert set(redriven) == {"LikeQueue", "AdoptionQueue"}
    for logical_id, resource in queues.items():
        props = resource["Properties"]
        attributes = _queue_attributes(deployed, logical_id)
        assert attributes["SqsManagedSseEnabled"] == "true" == str(props["SqsManagedSseEnabled"]).lower()
        retention = deployed.parameters[_ref(props["MessageRetentionPeriod"])]
        assert attributes["MessageRetentionPeriod"] == retention
        if logical_id in redriven:
            assert attributes["VisibilityTimeout"] == deployed.parameters[_ref(props["VisibilityTimeout"])]
            assert attributes["ReceiveMessageWaitTimeSeconds"] == str(props["ReceiveMessageWaitTimeSeconds"])
            redrive = json.loads(attributes["RedrivePolicy"])
            declared = props["RedrivePolicy"]
            assert int(redrive["maxReceiveCount"]) == int(deployed.parameters[_ref(declared["maxReceiveCount"])])
            assert int(redrive["maxReceiveCount"]) == MAX_RECEIVE_COUNT
            dlq_logical_id, attribute = _getatt(declared["deadLetterTargetArn"])
            assert attribute == "Arn"
            assert redrive["deadLetterTargetArn"] == _queue_arn(deployed, dlq_logical_id)


def test_queue_policies_let_only_the_topic_send(deployed: Deployed) -> None:
    policies = _of_type(deployed.messaging, "AWS::SQS::QueuePolicy")
    assert len(policies) == 2
    for resource in policies.values():
        props = resource["Properties"]
        declared = props["PolicyDocument"]
        for queue_ref in props["Queues"]:
            queue_logical_id = _ref(queue_ref)
            policy = json.loads(_queue_attributes(deployed, queue_logical_id)["Policy"])
            assert policy["Version"] == declared["Version"]
            assert [s["Sid"] for s in policy["Statement"]] == [s["Sid"] for s in declared["Statement"]]
            for actual, wanted in zip(policy["Statement"], declared["Statement"], strict=True):
                assert actual["Effect"] == wanted["Effect"]
                assert actual["Principal"] == wanted["Principal"]
                assert actual["Action"] == wanted["Action"]
                assert actual["Resource"] == _queue_arn(deployed, _getatt(wanted["Resource"])[0])
                if "ArnEquals" in wanted["Condition"]:
                    topic = _topic_arn(deployed, _ref(wanted["Condition"]["ArnEquals"]["aws:SourceArn"]))
                    assert actual["Condition"] == {"ArnEquals": {"aws:SourceArn": topic}}
                else:
                    assert actual["Condition"] == wanted["Condition"]


# ---------------------------------------------------------------------------- SNS
def test_topic_is_encrypted(deployed: Deployed) -> None:
    (topic,) = _of_type(deployed.messaging, "AWS::SNS::Topic").values()
    attributes = deployed.clients.sns.get_topic_attributes(TopicArn=deployed.topology.events_topic_arn)["Attributes"]
    assert attributes["KmsMasterKeyId"] == topic["Properties"]["KmsMasterKeyId"]


def test_subscriptions_match_the_template(deployed: Deployed) -> None:
    declared = _of_type(deployed.messaging, "AWS::SNS::Subscription")
    assert set(declared) == {"LikeSubscription", "AdoptionSubscription"}
    actual = {s["Endpoint"]: s for s in _subscriptions(deployed)}
    assert len(actual) == len(declared)
    for resource in declared.values():
        props = resource["Properties"]
        assert _topic_arn(deployed, _ref(props["TopicArn"])) == deployed.topology.events_topic_arn
        endpoint = _queue_arn(deployed, _getatt(props["Endpoint"])[0])
        subscription = actual[endpoint]
        assert subscription["Protocol"] == props["Protocol"] == "sqs"
        attributes = deployed.clients.sns.get_subscription_attributes(SubscriptionArn=subscription["SubscriptionArn"])[
            "Attributes"
        ]
        assert json.loads(attributes["FilterPolicy"]) == props["FilterPolicy"]
        assert attributes["FilterPolicyScope"] == props["FilterPolicyScope"]
        assert attributes["RawMessageDelivery"] == str(props["RawMessageDelivery"]).lower() == "true"


# ---------------------------------------------------------------------------- idempotency
def test_deploying_again_changes_nothing(deployed: Deployed, emulator: str) -> None:
    before = sorted(s["SubscriptionArn"] for s in _subscriptions(deployed))
    again = deploy_local_topology(
        emulator, project=PROJECT, max_receive_count=MAX_RECEIVE_COUNT, visibility_timeout=VISIBILITY_TIMEOUT
    )
    assert again == deployed.topology
    assert sorted(s["SubscriptionArn"] for s in _subscriptions(deployed)) == before
    for stack in (data_stack_name(PROJECT), messaging_stack_name(PROJECT)):
        status = deployed.clients.cloudformation.describe_stacks(StackName=stack)["Stacks"][0]["StackStatus"]
        assert status in ("CREATE_COMPLETE", "UPDATE_COMPLETE")


# ---------------------------------------------------------------------------- behaviour
def _drain(deployed: Deployed, url: str) -> None:
    """Delete every message in the queue (PurgeQueue is limited to once a minute, in moto too)."""
    sqs = deployed.clients.sqs
    while messages := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0).get("Messages"):
        sqs.delete_message_batch(
            QueueUrl=url,
            Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)],
        )


@pytest.fixture
def empty_queues(deployed: Deployed) -> Iterator[None]:
    t = deployed.topology
    urls = [url for queue in t.queues.values() for url in (queue.url, queue.dlq_url)]
    for url in urls:
        _drain(deployed, url)
    yield
    for url in urls:
        _drain(deployed, url)


def _receive(deployed: Deployed, url: str, wait: int = 0, visibility: int | None = None) -> list[dict[str, Any]]:
    kwargs: dict[str, Any] = {
        "QueueUrl": url,
        "MaxNumberOfMessages": 10,
        "WaitTimeSeconds": wait,  # always explicit: the queues long-poll 20 s by default
        "MessageAttributeNames": ["All"],
    }
    if visibility is not None:
        kwargs["VisibilityTimeout"] = visibility
    messages: list[dict[str, Any]] = deployed.clients.sqs.receive_message(**kwargs).get("Messages", [])
    return messages


def _publish(deployed: Deployed, event_type: str) -> str:
    body = json.dumps({"eventId": str(uuid.uuid4()), "eventType": event_type, "mysfitId": "m-1"})
    deployed.clients.sns.publish(
        TopicArn=deployed.topology.events_topic_arn,
        Message=body,
        MessageAttributes={"event_type": {"DataType": "String", "StringValue": event_type}},
    )
    return body


@pytest.mark.usefixtures("empty_queues")
@pytest.mark.parametrize(
    ("event_type", "target", "other"),
    [
        ("LikeRequested", "like", "adoption"),
        ("AdoptionRequested", "adoption", "like"),
    ],
)
def test_events_reach_only_their_queue_raw(deployed: Deployed, event_type: str, target: str, other: str) -> None:
    body = _publish(deployed, event_type)
    messages = _receive(deployed, deployed.topology.queues[target].url, wait=2)
    assert [m["Body"] for m in messages] == [body]  # raw delivery: no SNS envelope
    assert messages[0]["MessageAttributes"]["event_type"]["StringValue"] == event_type
    assert _receive(deployed, deployed.topology.queues[other].url) == []


@pytest.mark.usefixtures("empty_queues")
def test_events_of_other_types_reach_no_queue(deployed: Deployed) -> None:
    _publish(deployed, "MysfitRenamed")
    deployed.clients.sns.publish(TopicArn=deployed.topology.events_topic_arn, Message="no attributes")
    assert _receive(deployed, deployed.topology.queues["like"].url) == []
    assert _receive(deployed, deployed.topology.queues["adoption"].url) == []


@pytest.mark.usefixtures("empty_queues")
@pytest.mark.parametrize(
    ("event_type", "queue"),
    [("LikeRequested", "like"), ("AdoptionRequested", "adoption")],
)
def test_a_message_never_deleted_lands_in_the_dlq(deployed: Deployed, event_type: str, queue: str) -> None:
    body = _publish(deployed, event_type)
    queue_url, dlq_url = deployed.topology.queues[queue].url, deployed.topology.queues[queue].dlq_url
    receives = 0
    for _ in range(MAX_RECEIVE_COUNT + 2):
        messages = _receive(deployed, queue_url, visibility=0)
        if not messages:
            break
        assert [m["Body"] for m in messages] == [body]
        receives += 1
    assert receives == MAX_RECEIVE_COUNT
    dead = _receive(deployed, dlq_url, wait=2)
    assert [m["Body"] for m in dead] == [body]
    assert _receive(deployed, queue_url) == []


def test_a_data_stack_whose_indexes_projected_all_is_brought_to_the_template_one_index_at_a_time(
    emulator: str, tmp_path: Path
) -> None:
    # GIVEN a data stack deployed before the indexes projected keys only (both ALL), with a mysfit
    project = f"upgrade{uuid.uuid4().hex[:6]}"
    clients = AwsClients.from_session(boto3.session.Session(region_name="us-east-1"), emulator)
    template = load_template(DATA_TEMPLATE)
    for index in template["Resources"]["MysfitsTable"]["Properties"]["GlobalSecondaryIndexes"]:
        index["Projection"] = {"ProjectionType": "ALL"}
    before = tmp_path / "data-before.json"
    before.write_text(json.dumps(template), encoding="utf-8")
    table = deploy_stack(clients.cloudformation, data_stack_name(project), before, {"ProjectName": project},
                         poll_delay=0.2, timeout=60)["MysfitsTableName"]
    mysfit = {"MysfitId": {"S": "m-1"}, "GoodEvil": {"S": "Good"}, "LawChaos": {"S": "Lawful"}, "Likes": {"N": "7"}}
    clients.dynamodb.put_item(TableName=table, Item=mysfit)

    # WHEN the project is deployed as it is now (CloudFormation could not change both at once)
    deploy_local_topology(emulator, project=project)

    # THEN the indexes are the template's, the stack is complete, and the mysfit is still there
    declared = {g["IndexName"]: g for g in load_template(DATA_TEMPLATE)["Resources"]["MysfitsTable"]["Properties"][
        "GlobalSecondaryIndexes"]}
    described = clients.dynamodb.describe_table(TableName=table)["Table"]["GlobalSecondaryIndexes"]
    assert {g["IndexName"]: (g["KeySchema"], g["Projection"]) for g in described} == {
        name: (g["KeySchema"], g["Projection"]) for name, g in declared.items()}
    stack = clients.cloudformation.describe_stacks(StackName=data_stack_name(project))["Stacks"][0]
    assert stack["StackStatus"] == "UPDATE_COMPLETE"
    assert clients.dynamodb.get_item(TableName=table, Key={"MysfitId": {"S": "m-1"}})["Item"] == mysfit
