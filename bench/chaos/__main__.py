"""python -m bench.chaos: see the package's docstring."""

from __future__ import annotations

import argparse
import logging
import random
import time
from pathlib import Path

import bench.chaos
from bench.chaos.report import applied, costs, table
from bench.chaos.run import ChaosOptions, run_chaos
from bench.chaos.schedule import ScheduleDoesNotFit
from bench.failures import report_benchmark
from mysfits_common.cli import CommandError, configure_command_logging

REPO_ROOT = Path(__file__).resolve().parent.parent.parent


def default_min_each(minutes: float) -> int:
    """5 for a 30-minute run, in proportion, and at least once."""
    return max(1, round(5 * minutes / 30))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(bench.chaos.__doc__ or "").split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=30.0, help="length of the run, calm start included")
    parser.add_argument("--seed", type=int, help="the schedule's seed (default: a new one, printed)")
    parser.add_argument("--min-each", type=int, help="times each fault kind fires (default 5 per 30 minutes, >= 1)")
    parser.add_argument("--likes-per-second", type=float, default=20.0, help="the steady load (default 20)")
    parser.add_argument("--log-dir", type=Path, help="where the processes log (default .run/chaos/<time>)")
    args = parser.parse_args(argv)
    if args.minutes <= 0 or args.likes_per_second <= 0:
        parser.error("--minutes and --likes-per-second must be positive")
    seed = args.seed if args.seed is not None else random.randrange(1_000_000)
    logs: Path = args.log_dir or REPO_ROOT / ".run" / "chaos" / time.strftime("%Y%m%d-%H%M%S")
    options = ChaosOptions(minutes=args.minutes, seed=seed, min_each=args.min_each or default_min_each(args.minutes),
                           log_dir=logs, likes_per_second=args.likes_per_second)
    configure_command_logging("bench.chaos", logging.WARNING)

    def chaos() -> None:
        try:
            run = run_chaos(options)
        except ScheduleDoesNotFit as error:
            raise CommandError(f"{error}: a longer --minutes or a smaller --min-each") from error
        print("\n".join([*applied(run), "", *costs(run.schedule, run.ledger.requests), "", *table(run)]))
        print(f"logs: {logs}")
        if run.verdict.violations:
            raise CommandError(f"{len(run.verdict.violations)} violations: "
                               + "; ".join(v.name for v in run.verdict.violations))

    return report_benchmark("bench.chaos", chaos, logs)


if __name__ == "__main__":
    raise SystemExit(main())
