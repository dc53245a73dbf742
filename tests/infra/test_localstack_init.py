"""deploy_local_topology and seed_topology (LocalStack's ready hook and the runner) against the emulator."""

from __future__ import annotations

import boto3

from deploy.local import deploy_local_topology, seed_topology


def test_deploys_the_topology_and_seeds_once(emulator: str) -> None:
    topology = deploy_local_topology(emulator, "lsinit", max_receive_count=5, visibility_timeout=30)
    inserted = seed_topology(emulator, topology)
    assert inserted == 12
    dynamodb = boto3.session.Session(region_name="us-east-1").client("dynamodb", endpoint_url=emulator)
    assert dynamodb.scan(TableName=topology.mysfits_table, Select="COUNT")["Count"] == 12
    sns = boto3.session.Session(region_name="us-east-1").client("sns", endpoint_url=emulator)
    assert len(sns.list_subscriptions_by_topic(TopicArn=topology.events_topic_arn)["Subscriptions"]) == 2

    again = deploy_local_topology(emulator, "lsinit", max_receive_count=5, visibility_timeout=30)
    inserted_again = seed_topology(emulator, again)
    assert (again, inserted_again) == (topology, 0)
