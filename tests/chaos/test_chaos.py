"""The chaos benchmark's short variant: its own code, 60 s, a fixed seed, every fault kind once.

A failure here names each violation with its evidence (the logical request, its attempts, the
eventIds); the processes' logs are in the run's output folder, under chaos/.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.chaos.report import applied, costs, table
from bench.chaos.run import ChaosOptions, run_chaos

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

SEED = 1
MINUTES = 1.0


def test_a_short_chaos_run_loses_nothing_and_counts_nothing_twice(output_dir: Path) -> None:
    # GIVEN the benchmark's schedule for 60 s: every process and AWS fault kind once
    options = ChaosOptions(minutes=MINUTES, seed=SEED, min_each=1, log_dir=output_dir / "chaos")

    # WHEN it runs under the steady load and settles
    run = run_chaos(options, out=lambda _: None)

    # THEN the ledger finds no violation
    report = "\n".join([*applied(run), "", *costs(run.schedule, run.ledger.requests), "", *table(run)])
    (output_dir / "chaos" / "report.txt").write_text(report)
    assert not run.violations, report
