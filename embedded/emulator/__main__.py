"""python -m embedded.emulator [-H host] [-p port]: moto's server with this package's fixes.

``EMULATOR_TTL_SWEEP_SECONDS`` (default 5) sets how often expired items are deleted;
``EMULATOR_SQS_METRICS_SECONDS`` (default 60) how often the queues' CloudWatch metrics are put.
``EMULATOR_COUNT_REQUESTS=1`` counts the requests served (:mod:`embedded.emulator.request_count`).
``EMULATOR_FAULTS`` sets the first rules of fault injection (:mod:`embedded.emulator.faults`), which
``/_emulator/faults`` changes at any time. A setting that cannot be used stops the server at start,
with one line naming it (exit code 2).
"""

from __future__ import annotations

import logging
import os
import sys

from moto import server

from embedded.emulator import faults, install, request_count
from embedded.emulator.periodic import Periodic
from embedded.emulator.server import quiet_request_log
from embedded.emulator.sqs_metrics import publish_sqs_metrics
from embedded.emulator.ttl import sweep_expired
from mysfits_common.cli import Exit
from mysfits_common.settings import SettingError, number


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="emulator %(levelname)s %(name)s %(message)s")
    logger = logging.getLogger("embedded.emulator")
    try:
        interval = number(os.environ, "EMULATOR_TTL_SWEEP_SECONDS", 5)
        metrics_interval = number(os.environ, "EMULATOR_SQS_METRICS_SECONDS", 60)
        faults.set_faults_from_environment(os.environ)
    except SettingError as error:
        logger.error("emulator failed: %s", error)
        sys.exit(Exit.USAGE)
    install()
    quiet_request_log()
    if os.environ.get("EMULATOR_COUNT_REQUESTS") == "1":
        request_count.install()
    # Last, so outermost: a faulted request is not counted (AWS bills no throttled request),
    # nor is a request to /_emulator/faults.
    faults.install()
    sweeper = Periodic("ttl-sweep", interval, sweep_expired).start()
    metrics = Periodic("sqs-metrics", metrics_interval, publish_sqs_metrics).start()
    logger.info(
        "moto's server with the fidelity fixes of embedded.emulator; expired items swept every %s s", interval
    )
    try:
        server.main()
    finally:
        metrics.stop()
        sweeper.stop()


if __name__ == "__main__":
    main()
