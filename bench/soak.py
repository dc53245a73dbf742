"""Whether the embedded default holds up under a long steady load of likes, slice by slice.

    .venv/bin/python -m bench.soak [--likes 20000] [--slice 2000] [--threads 8] [--marker-ttl S] [--log-dir DIR]

Starts one embedded system (emulator, monolith, both workers) on free ports and sends likes over the seeded
mysfits in slices. Each slice is accepted by the monolith, then drained by the like worker until the counts show
it, before the next one starts. Per slice it prints likes per second accepted and drained, the CPU each process
spent per 1,000 likes and the RSS of each, then the ratio of the last slice to the first and whether the soak
targets are met. The targets are shown, not enforced: the exit status is non-zero only when a like was lost or
counted twice, or when the system failed (did not start, or a slice did not drain); then one line says why,
``bench.soak failed: <why> (logs: DIR)``, with an exit code as :mod:`mysfits_common.cli` lists them.
"""

from __future__ import annotations

import argparse
import logging
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import boto3
import requests

from bench.failures import report_benchmark
from bench.load import LikeLoad, Submitted, total_likes, wait_for_total
from bench.procstat import MB, cpu_between, rss_mb, snapshot
from embedded.config import SystemConfig
from embedded.processes import free_port
from embedded.system import EmbeddedSystem
from mysfits_common.cli import CommandError, configure_command_logging

logger = logging.getLogger("bench.soak")

PROCESSES = ("emulator", "monolith", "like_worker", "adopt_worker")
DRAIN_TIMEOUT_SECONDS = 300
POLL_SECONDS = 0.25
THROUGHPUT_MIN_RATIO = 0.85
EMULATOR_CPU_MAX_RATIO = 1.2
EMULATOR_RSS_MAX_MB = 400
EMULATOR_RSS_MAX_DRIFT = 0.10


def watched_pids(system: EmbeddedSystem) -> dict[str, int]:
    """Read again before every sample: the supervisor replaces a worker that died, under a new pid."""
    assert system.emulator is not None and system.monolith is not None, "the soak starts its own emulator"
    return {
        "emulator": system.emulator.pid,
        "monolith": system.monolith.pid,
        **{name: worker.pid for name, worker in system.workers.items()},
    }


# -- one slice -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class SliceResult:
    number: int
    likes_so_far: int  # accepted since the soak began, this slice included
    submitted: Submitted
    drained_seconds: float  # from the slice's first like to the counts showing its last
    drained: bool
    cpu_seconds: dict[str, float]
    rss: dict[str, float]  # MB, at the end of the slice
    emulator_peak_mb: float

    @property
    def accepted_per_second(self) -> float:
        return self.submitted.accepted / self.submitted.seconds

    @property
    def drained_per_second(self) -> float:
        return self.submitted.accepted / self.drained_seconds

    def cpu_per_thousand(self, name: str) -> float:
        return self.cpu_seconds[name] / max(self.submitted.accepted, 1) * 1000


def run_slice(
    system: EmbeddedSystem, load: LikeLoad, read_total: Callable[[], int], number: int, size: int, counted_before: int,
    accepted_before: int,
) -> tuple[SliceResult, int]:
    """Accept `size` likes, wait until they are all counted; the result and the total of likes now shown."""
    before = snapshot(watched_pids(system))
    started = time.perf_counter()
    submitted = load.submit(size)
    logger.info("  accepted %d in %.1f s; draining", submitted.accepted, submitted.seconds)
    expected = counted_before + submitted.accepted
    total = wait_for_total(read_total, expected, DRAIN_TIMEOUT_SECONDS)
    drained_seconds = time.perf_counter() - started
    after = snapshot(watched_pids(system))
    emulator = after.get("emulator", {})
    result = SliceResult(
        number=number,
        likes_so_far=accepted_before + submitted.accepted,
        submitted=submitted,
        drained_seconds=drained_seconds,
        drained=total >= expected,
        cpu_seconds={name: cpu_between(before.get(name, {}), after.get(name, {})) for name in PROCESSES},
        rss={name: rss_mb(after.get(name, {})) for name in PROCESSES},
        emulator_peak_mb=max((stat.peak_rss_bytes for stat in emulator.values()), default=0) / MB,
    )
    return result, total


# -- the report ----------------------------------------------------------------------------------


def _ratio(last: float, first: float) -> float:
    return last / first if first else float("nan")


def print_report(results: list[SliceResult], planned_likes: int) -> None:
    print(
        f"{'slice':>5} {'likes':>7} {'accepted/s':>11} {'drained/s':>10} {'emu CPU s/1k':>13} {'emu RSS MB':>11} "
        f"{'monolith RSS MB':>16} {'like_worker RSS MB':>19} {'adopt_worker RSS MB':>20}"
    )
    for result in results:
        print(
            f"{result.number:>5} {result.likes_so_far:>7} {result.accepted_per_second:>11.1f} "
            f"{result.drained_per_second:>10.1f} {result.cpu_per_thousand('emulator'):>13.2f} "
            f"{result.rss['emulator']:>11.1f} {result.rss['monolith']:>16.1f} {result.rss['like_worker']:>19.1f} "
            f"{result.rss['adopt_worker']:>20.1f}" + ("" if result.drained else "  (did not drain)")
        )
    print()
    print("CPU seconds per 1,000 likes, for context (monolith: gunicorn master and workers):")
    print(f"{'slice':>5}" + "".join(f"{name:>14}" for name in PROCESSES))
    for result in results:
        print(f"{result.number:>5}" + "".join(f"{result.cpu_per_thousand(name):>14.2f}" for name in PROCESSES))
    print()
    refused = sum((result.submitted.refused for result in results), Counter[str]())
    if refused:
        print(f"not accepted: {dict(refused)}")
    if len(results) < 2:
        print("last/first: needs at least two slices")
        return
    first, last = results[0], results[-1]
    accepted_ratio = _ratio(last.accepted_per_second, first.accepted_per_second)
    drained_ratio = _ratio(last.drained_per_second, first.drained_per_second)
    cpu_ratio = _ratio(last.cpu_per_thousand("emulator"), first.cpu_per_thousand("emulator"))
    rss_ratio = _ratio(last.rss["emulator"], first.rss["emulator"])
    print(
        f"last/first: accepted/s x{accepted_ratio:.2f}, drained/s x{drained_ratio:.2f}, "
        f"emulator CPU per like x{cpu_ratio:.2f}, emulator RSS x{rss_ratio:.2f}"
    )
    middle = results[(len(results) + 1) // 2 - 1]
    drift = _ratio(last.rss["emulator"] - middle.rss["emulator"], middle.rss["emulator"])
    likes_note = "" if last.likes_so_far >= planned_likes else f" (only {last.likes_so_far} of {planned_likes})"
    targets = [
        (f"accepted/s last/first >= {THROUGHPUT_MIN_RATIO}", f"x{accepted_ratio:.2f}",
         accepted_ratio >= THROUGHPUT_MIN_RATIO),
        (f"drained/s last/first >= {THROUGHPUT_MIN_RATIO}", f"x{drained_ratio:.2f}",
         drained_ratio >= THROUGHPUT_MIN_RATIO),
        (f"emulator CPU per like last/first <= {EMULATOR_CPU_MAX_RATIO}", f"x{cpu_ratio:.2f}",
         cpu_ratio <= EMULATOR_CPU_MAX_RATIO),
        (f"emulator RSS after {last.likes_so_far} likes{likes_note} <= {EMULATOR_RSS_MAX_MB} MB",
         f"{last.rss['emulator']:.1f} MB (peak {last.emulator_peak_mb:.1f} MB)",
         last.rss["emulator"] <= EMULATOR_RSS_MAX_MB),
        (f"emulator RSS flat over the last half, slice {middle.number} to {last.number}, "
         f"within {EMULATOR_RSS_MAX_DRIFT:.0%}",
         f"{middle.rss['emulator']:.1f} -> {last.rss['emulator']:.1f} MB ({drift:+.1%})",
         abs(drift) <= EMULATOR_RSS_MAX_DRIFT),
    ]
    print("targets:")
    for target, figure, met in targets:
        print(f"  {target}: {figure} {'met' if met else 'NOT MET'}")


def queue_depths(system: EmbeddedSystem) -> tuple[int, int]:
    """Like messages still on the queue (visible or in flight), and on its dead-letter queue."""
    assert system.topology is not None
    sqs = boto3.session.Session(region_name=system.config.region).client("sqs", endpoint_url=system.endpoint_url)

    def depth(queue_url: str) -> int:
        names = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
        attributes = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=names)["Attributes"]
        return sum(int(attributes[name]) for name in names)

    return depth(system.topology.queues["like"].url), depth(system.topology.queues["like"].dlq_url)


def settle(system: EmbeddedSystem, timeout: float) -> tuple[int, int]:
    """Wait until the like queue is empty, so that a late redelivery shows in the final count."""
    deadline = time.monotonic() + timeout
    while (depths := queue_depths(system))[0] and time.monotonic() < deadline:
        time.sleep(POLL_SECONDS)
    return depths


# -- the soak ------------------------------------------------------------------------------------


def soak(system: EmbeddedSystem, likes: int, slice_size: int, threads: int) -> bool:
    """Run the slices and print the report; True if every slice drained and every like counted exactly once."""
    client = requests.Session()
    mysfits = client.get(f"{system.api_url}/mysfits", timeout=30).json()["mysfits"]
    load = LikeLoad(system.api_url, [mysfit["mysfitId"] for mysfit in mysfits], threads)

    def read_total() -> int:
        return total_likes(client, system.api_url)

    baseline = total = read_total()
    accepted = 0
    results: list[SliceResult] = []
    slices = -(-likes // slice_size)
    try:
        for number in range(1, slices + 1):
            size = min(slice_size, likes - (number - 1) * slice_size)
            logger.info("slice %d/%d: accepting %d likes over %d mysfits", number, slices, size, len(mysfits))
            result, total = run_slice(system, load, read_total, number, size, baseline + accepted, accepted)
            accepted = result.likes_so_far
            results.append(result)
            logger.info(
                "  slice %d/%d: %s in %.1f s (%d of %d counted so far)",
                number, slices, "drained" if result.drained else "NOT drained", result.drained_seconds,
                total - baseline, accepted,
            )
            if not result.drained:
                logger.error("slice %d did not drain within %d s; stopping the soak", number, DRAIN_TIMEOUT_SECONDS)
                break
        logger.info("waiting for the like queue to empty before the final count")
        queued, dead_lettered = settle(system, DRAIN_TIMEOUT_SECONDS)
        total = read_total()
    finally:
        load.close()
    print_report(results, likes)
    counted = total - baseline
    print(
        f"exactly once: {accepted} likes accepted (202), {counted} counted "
        f"({total} over {len(mysfits)} mysfits, {baseline} before); like queue {queued}, DLQ {dead_lettered}; "
        + ("OK" if counted == accepted else f"FAILED: {'lost' if counted < accepted else 'duplicated'} "
           f"{abs(accepted - counted)}")
    )
    stuck = [result.number for result in results if not result.drained]
    if stuck:
        print(f"system FAILED: slice {stuck[0]} did not drain within {DRAIN_TIMEOUT_SECONDS} s")
    restarts = {name: count for name, count in system.restarts.items() if count}
    if restarts:
        print(f"worker restarts during the soak: {restarts}")
    return counted == accepted and not stuck


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--likes", type=int, default=20000, help="likes sent over the whole soak")
    parser.add_argument("--slice", type=int, default=2000, dest="slice_size", help="likes per measured slice")
    parser.add_argument("--threads", type=int, default=8, help="concurrent clients sending likes")
    parser.add_argument("--marker-ttl", type=int, help="MARKER_TTL_SECONDS for the services (their default if unset)")
    parser.add_argument("--log-dir", type=Path, help="where the processes log (default: a new temporary directory)")
    args = parser.parse_args(argv)
    if args.likes < 1 or args.slice_size < 1 or args.threads < 1:
        parser.error("--likes, --slice and --threads must be positive")
    configure_command_logging("bench.soak", timestamps=True)
    logs: Path = args.log_dir or Path(tempfile.mkdtemp(prefix="bench-soak-"))
    config = SystemConfig(api_port=free_port(), emulator_port=free_port(), serve_website=False, log_dir=logs,
                          marker_ttl_seconds=args.marker_ttl)
    logger.info("starting the embedded system (logs: %s)", logs)

    def run() -> None:
        with EmbeddedSystem(config) as system:
            succeeded = soak(system, args.likes, args.slice_size, args.threads)
        print(f"logs: {logs}")
        if not succeeded:
            raise CommandError("a like was lost or counted twice, or a slice did not drain (see the report)")

    return report_benchmark("bench.soak", run, logs)


if __name__ == "__main__":
    raise SystemExit(main())
