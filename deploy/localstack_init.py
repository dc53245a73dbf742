"""LocalStack's ready hook: deploy the data and messaging templates and seed the catalogue.

``localstack/init/ready.d/10-deploy-mysfits.sh`` runs ``python -m deploy.localstack_init`` inside
the LocalStack container; it works against any endpoint (the tests run it against moto).
Settings: ``PROJECT_NAME`` (``mysfits``), ``MAX_RECEIVE_COUNT`` (5), ``WORKER_VISIBILITY_TIMEOUT``
(30); endpoints (``AWS_ENDPOINT_URL``, ``AWS_ENDPOINT_URL_<SERVICE>``), region and credentials from
boto3's standard configuration. A setting that cannot be used is one line and exit code 2.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping

from deploy.cli import EXPECTED_FAILURES, explain
from deploy.endpoints import Endpoints
from deploy.local import deploy_and_seed
from mysfits_common.cli import configure_command_logging, report_failures
from mysfits_common.settings import whole_number

__all__ = ["main"]

logger = logging.getLogger(__name__)


def main(env: Mapping[str, str] = os.environ) -> int:
    configure_command_logging("mysfits-init")
    region = env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or "us-east-1"

    def deploy() -> None:
        topology, inserted = deploy_and_seed(
            Endpoints(env, region),
            project=env.get("PROJECT_NAME", "mysfits"),
            max_receive_count=whole_number(env, "MAX_RECEIVE_COUNT", 5),
            visibility_timeout=whole_number(env, "WORKER_VISIBILITY_TIMEOUT", 30),
            like_mode=env.get("LIKE_MODE", "queue"),
            adopt_mode=env.get("ADOPT_MODE", "queue"),
        )
        logger.info("deployed %s; topic %s; seeded %d", topology.mysfits_table, topology.events_topic_arn, inserted)

    return report_failures("mysfits-init", deploy, expected=EXPECTED_FAILURES, explained=explain)


if __name__ == "__main__":
    raise SystemExit(main())
