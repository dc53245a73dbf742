"""python -m embedded.emulator [-H host] [-p port]: moto's server with this package's fixes.

``EMULATOR_TTL_SWEEP_SECONDS`` (default 5) sets how often expired items are deleted;
``EMULATOR_SQS_METRICS_SECONDS`` (default 60) how often the queues' CloudWatch metrics are put.
``EMULATOR_COUNT_REQUESTS=1`` counts the requests served (:mod:`embedded.emulator.request_count`).
"""

from __future__ import annotations

import logging
import os

from moto import server

from embedded.emulator import install, request_count
from embedded.emulator.periodic import Periodic
from embedded.emulator.server import quiet_request_log
from embedded.emulator.sqs_metrics import publish_sqs_metrics
from embedded.emulator.ttl import sweep_expired
from mysfits_common.settings import number


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="emulator %(levelname)s %(name)s %(message)s")
    install()
    quiet_request_log()
    if os.environ.get("EMULATOR_COUNT_REQUESTS") == "1":
        request_count.install()
    interval = number(os.environ, "EMULATOR_TTL_SWEEP_SECONDS", 5)
    sweeper = Periodic("ttl-sweep", interval, sweep_expired).start()
    metrics_interval = number(os.environ, "EMULATOR_SQS_METRICS_SECONDS", 60)
    metrics = Periodic("sqs-metrics", metrics_interval, publish_sqs_metrics).start()
    logging.getLogger("embedded.emulator").info(
        "moto's server with the fidelity fixes of embedded.emulator; expired items swept every %s s", interval
    )
    try:
        server.main()
    finally:
        metrics.stop()
        sweeper.stop()


if __name__ == "__main__":
    main()
