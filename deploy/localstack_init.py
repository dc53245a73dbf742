"""LocalStack's ready hook: deploy the data and messaging templates and seed the catalogue.

``localstack/init/ready.d/10-deploy-mysfits.sh`` runs ``python -m deploy.localstack_init`` inside
the LocalStack container; it works against any endpoint (the tests run it against moto).
Settings: ``PROJECT_NAME`` (``mysfits``), ``MAX_RECEIVE_COUNT`` (5), ``WORKER_VISIBILITY_TIMEOUT``
(30); endpoints (``AWS_ENDPOINT_URL``, ``AWS_ENDPOINT_URL_<SERVICE>``), region and credentials from
boto3's standard configuration.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping

from deploy.endpoints import Endpoints
from deploy.local import deploy_and_seed

__all__ = ["main"]

log = logging.getLogger(__name__)


def main(env: Mapping[str, str] = os.environ) -> None:
    logging.basicConfig(level=logging.INFO, format="mysfits-init %(levelname)s %(message)s")
    region = env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or "us-east-1"
    topology, inserted = deploy_and_seed(
        Endpoints(env, region),
        project=env.get("PROJECT_NAME", "mysfits"),
        max_receive_count=int(env.get("MAX_RECEIVE_COUNT", "5")),
        visibility_timeout=int(env.get("WORKER_VISIBILITY_TIMEOUT", "30")),
        like_mode=env.get("LIKE_MODE", "queue"),
        adopt_mode=env.get("ADOPT_MODE", "queue"),
    )
    log.info("deployed %s; topic %s; seeded %d mysfit(s)", topology.mysfits_table, topology.events_topic_arn, inserted)


if __name__ == "__main__":
    main()
