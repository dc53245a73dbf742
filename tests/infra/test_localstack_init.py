"""deploy_and_seed (LocalStack's ready hook and the runner) against the emulator: stacks and seed."""

from __future__ import annotations

import boto3

from deploy.local import deploy_and_seed


def test_deploys_the_topology_and_seeds_once(emulator: str) -> None:
    topology, inserted = deploy_and_seed(
        emulator, "lsinit", max_receive_count=5, visibility_timeout=30
    )
    assert inserted == 12
    dynamodb = boto3.session.Session(region_name="us-east-1").client("dynamodb", endpoint_url=emulator)
    assert dynamodb.scan(TableName=topology.mysfits_table, Select="COUNT")["Count"] == 12
    sns = boto3.session.Session(region_name="us-east-1").client("sns", endpoint_url=emulator)
    assert len(sns.list_subscriptions_by_topic(TopicArn=topology.events_topic_arn)["Subscriptions"]) == 2

    again, inserted_again = deploy_and_seed(
        emulator, "lsinit", max_receive_count=5, visibility_timeout=30
    )
    assert (again, inserted_again) == (topology, 0)
