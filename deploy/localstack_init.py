"""LocalStack's ready hook: deploy the data and messaging templates and seed the catalogue.

``localstack/init/ready.d/10-deploy-mysfits.sh`` runs ``python -m deploy.localstack_init`` inside
the LocalStack container; it works against any endpoint (the tests run it against moto).
Settings: ``PROJECT_NAME`` (``mysfits``), ``MAX_RECEIVE_COUNT`` (5), ``WORKER_VISIBILITY_TIMEOUT``
(30), ``LIKE_MODE`` and ``ADOPT_MODE`` (``queue``), as the runner reads them; endpoints
(``AWS_ENDPOINT_URL``, ``AWS_ENDPOINT_URL_<SERVICE>``), region and credentials from
boto3's standard configuration. A setting that cannot be used is one line and exit code 2.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping

from deploy.cli import EXPECTED_FAILURES, explain
from deploy.endpoints import Endpoints
from deploy.local import MAX_RECEIVE_COUNT, PROJECT_NAME, deploy_local_topology, seed_topology
from monolith.config import ADOPT_MODE, LIKE_MODE
from mysfits_common.cli import configure_command_logging, report_failures
from mysfits_common.worker_settings import WORKER_VISIBILITY_TIMEOUT

__all__ = ["main"]

logger = logging.getLogger(__name__)


def main(env: Mapping[str, str] = os.environ) -> int:
    configure_command_logging("mysfits-init")
    region = env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or "us-east-1"

    def deploy() -> None:
        endpoints = Endpoints(env, region)
        topology = deploy_local_topology(
            endpoints,
            project=PROJECT_NAME.read(env),
            max_receive_count=MAX_RECEIVE_COUNT.read(env),
            visibility_timeout=WORKER_VISIBILITY_TIMEOUT.read(env),
            like_mode=LIKE_MODE.read(env),
            adopt_mode=ADOPT_MODE.read(env),
        )
        inserted = seed_topology(endpoints, topology)
        logger.info("deployed %s; topic %s; seeded %d", topology.mysfits_table, topology.events_topic_arn, inserted)

    return report_failures("mysfits-init", deploy, expected=EXPECTED_FAILURES, explained=explain)


if __name__ == "__main__":
    raise SystemExit(main())
