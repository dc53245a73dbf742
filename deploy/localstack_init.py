"""LocalStack's ready hook: deploy the data and messaging templates and seed the catalogue.

``localstack/init/ready.d/10-deploy-mysfits.sh`` runs ``python -m deploy.localstack_init`` inside
the LocalStack container; it works against any endpoint (the tests run it against moto).
Settings: ``AWS_ENDPOINT_URL``, ``PROJECT_NAME`` (``mysfits``), ``MAX_RECEIVE_COUNT`` (5),
``WORKER_VISIBILITY_TIMEOUT`` (30), region and credentials from boto3's standard configuration.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping

import boto3

from deploy.local import Topology, deploy_local_topology
from monolith.dynamodb import DynamoMysfitRepository
from monolith.seed import seed

__all__ = ["deploy_and_seed", "main"]

log = logging.getLogger(__name__)


def deploy_and_seed(
    endpoint_url: str | None, project: str, max_receive_count: int, visibility_timeout: int, region: str
) -> tuple[Topology, int]:
    """Deploy the topology, seed the missing mysfits; return the topology and how many were added."""
    topology = deploy_local_topology(
        endpoint_url,
        project=project,
        region=region,
        max_receive_count=max_receive_count,
        visibility_timeout=visibility_timeout,
    )
    kwargs = {} if endpoint_url is None else {"endpoint_url": endpoint_url}
    dynamodb = boto3.session.Session(region_name=region).client("dynamodb", **kwargs)
    inserted = seed(DynamoMysfitRepository(dynamodb, topology.mysfits_table, topology.processed_events_table))
    return topology, inserted


def main(env: Mapping[str, str] = os.environ) -> None:
    logging.basicConfig(level=logging.INFO, format="mysfits-init %(levelname)s %(message)s")
    region = env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or "us-east-1"
    topology, inserted = deploy_and_seed(
        env.get("AWS_ENDPOINT_URL") or None,
        project=env.get("PROJECT_NAME", "mysfits"),
        max_receive_count=int(env.get("MAX_RECEIVE_COUNT", "5")),
        visibility_timeout=int(env.get("WORKER_VISIBILITY_TIMEOUT", "30")),
        region=region,
    )
    log.info("deployed %s; topic %s; seeded %d mysfit(s)", topology.mysfits_table, topology.events_topic_arn, inserted)


if __name__ == "__main__":
    main()
