"""The whole pipeline, measured against baselines of the same run, in one table.

    .venv/bin/python -m bench [--quick] [--likes N] [--threads T] [--samples S] [--log-dir DIR]

Starts the embedded default (emulator counting its requests, monolith, workers) on free ports, then:

1. the bare baseline: a Flask endpoint that only publishes takes the load, and a consumer that only
   receives and deletes drains it (their CPU; the emulator's receive-and-delete ceiling);
2. drain from a full queue: likes accepted with no like worker, then counted once it starts;
3. saturation with the publish batcher (the default): AWS requests per like by service and action,
   DynamoDB write units per like by table and index, CPU per 1,000 likes; then like-to-visible
   latency at light load (one like at a time);
   then a viral stretch (every like on one mysfit: how often its item is written);
4. before issue 24: the like worker one batch at a time (``WORKER_GATHER_MAX=10``) and the table's
   indexes projecting ``ALL`` (rebuilt so, one at a time, then back): drain, saturation and latency;
5. the same with one Publish per like (``PUBLISH_BATCH_ENTRIES=1``, the publish side before);
6. inline mode (a second monolith on the same emulator): latency, throughput and write units per
   like (a transaction per like: the figure the batch transaction is compared with).

Then it prints the table with the targets. Figures compare only within a run (the machine is
shared); ``--quick`` runs a small load to keep the harness working (the test suite runs it).
The exit status is non-zero only if a like was lost or counted twice, or the system failed: then
one line says why, ``bench failed: <why> (logs: DIR)``, with an exit code as :mod:`mysfits_common.cli` lists them.
"""

from __future__ import annotations

import argparse
import logging
import tempfile
from pathlib import Path

import requests

from bench.failures import report_benchmark
from bench.load import LikeLoad
from bench.pipeline import (
    Observer,
    bare_baseline,
    drain_rate,
    inline_rate,
    latencies,
    peak_rss_mb,
    project_indexes,
    roots_of,
    saturate,
    table_roles,
)
from bench.report import Progress, Results, print_table
from embedded.config import SystemConfig
from embedded.processes import free_port
from embedded.system import EmbeddedSystem
from mysfits_common.cli import CommandError, configure_command_logging

STEPS = 11


def run(likes: int, threads: int, samples: int, logs: Path, progress: Progress) -> Results:
    config = SystemConfig(api_port=free_port(), emulator_port=free_port(), serve_website=False, run_workers=False,
                          count_requests=True, log_dir=logs / "queue")
    progress.step("starting the embedded system")
    with EmbeddedSystem(config) as system:
        assert system.topology is not None
        observer = Observer(system.endpoint_url, system.topology, config.region)
        ids = [m["mysfitId"] for m in requests.get(f"{system.api_url}/mysfits", timeout=30).json()["mysfits"]]

        def counted(total: int) -> None:
            progress.update(f"{total}/{likes} likes counted")

        progress.step(f"bare baseline: {likes} likes published, then received and deleted")
        bare = bare_baseline(system, ids, threads, likes, logs)
        system.start_worker("adopt_worker")
        load = LikeLoad(system.api_url, ids, threads)
        try:
            progress.step(f"drain: {likes} likes queued, then counted by the like worker")
            # Every thread likes every mysfit once: each gunicorn worker's cache of known ids is warm from here on.
            warm = load.submit(len(ids) * threads).accepted
            drain = drain_rate(system, observer, load, likes, warm, counted)
            progress.step(f"saturation, batched publish: {likes} likes from {threads} threads")
            batched = saturate(system, observer, load, likes, counted)
            progress.step(f"viral: {likes} likes on one mysfit from {threads} threads")
            load.mysfit_ids = ids[:1]
            viral = saturate(system, observer, load, likes, counted)
            load.mysfit_ids = ids
            progress.step(f"latency, batched publish: {samples} likes one at a time")
            latency_batched = latencies(system.api_url, ids[0], samples)
            peaks = peak_rss_mb(roots_of(system))
            progress.step(f"before issue 24 (WORKER_GATHER_MAX=10, indexes projecting ALL): drain of {likes} likes")
            one_at_a_time = {"WORKER_GATHER_MAX": "10"}
            system.config.extra_env.update(one_at_a_time)
            project_indexes(system.endpoint_url, config.region, system.topology.mysfits_table, "ALL")
            system.workers.pop("like_worker").stop()
            drain_before = drain_rate(system, observer, load, likes, 0, counted)
            progress.step(f"before issue 24: saturation, {likes} likes from {threads} threads, then latency")
            batched_before = saturate(system, observer, load, likes, counted)
            latency_before = latencies(system.api_url, ids[0], samples)
            for name in one_at_a_time:
                del system.config.extra_env[name]
            project_indexes(system.endpoint_url, config.region, system.topology.mysfits_table, "KEYS_ONLY")
            system.start_worker("like_worker")
            progress.step("one Publish per like: monolith restarted, saturation and latency again")
            system.config.extra_env["PUBLISH_BATCH_ENTRIES"] = "1"
            load.hang_up()
            system.start_monolith()
            warmed = observer.total_likes() + load.submit(len(ids) * threads).accepted
            observer.wait_counted(warmed)
            unbatched = saturate(system, observer, load, likes, counted)
            latency_unbatched = latencies(system.api_url, ids[0], samples)
        finally:
            load.close()
        progress.step(f"inline mode: {samples} likes one at a time, then {likes} from {threads} threads")
        inline_config = SystemConfig(api_port=free_port(), endpoint_url=system.endpoint_url, project="benchinline",
                                     like_mode="inline", run_workers=False, serve_website=False,
                                     log_dir=logs / "inline")
        with EmbeddedSystem(inline_config) as inline:
            latency_inline = latencies(inline.api_url, ids[0], samples)
            inline_load = LikeLoad(inline.api_url, ids, threads, accepted_statuses=(200,))
            try:
                inline_load.submit(len(ids) * threads)
                inline_per_second, inline_window = inline_rate(inline, inline_load, likes)
            finally:
                inline_load.close()
            assert inline.topology is not None
            tables = {**table_roles(system.topology), **table_roles(inline.topology)}
        assert system.emulator is not None
        peaks["emulator (context)"] = peak_rss_mb({"emulator": system.emulator.pid})["emulator"]
        progress.step("stopping")
    progress.done()
    return Results(batched, unbatched, drain, inline_per_second, inline_window, tables, bare, latency_batched,
                   latency_unbatched, latency_inline, peaks, drain_before, batched_before, latency_before, viral)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a small load: checks the harness, not the figures")
    parser.add_argument("--likes", type=int, help="likes per measured stretch (default 2000; 60 with --quick)")
    parser.add_argument("--threads", type=int, help="concurrent clients at saturation (default 32; 8 with --quick)")
    parser.add_argument("--samples", type=int, help="likes timed one by one per mode (default 40; 5 with --quick)")
    parser.add_argument("--log-dir", type=Path, help="where the processes log (default: a new temporary directory)")
    args = parser.parse_args(argv)
    likes = args.likes or (60 if args.quick else 2000)
    threads = args.threads or (8 if args.quick else 32)
    samples = args.samples or (5 if args.quick else 40)
    if min(likes, threads, samples) < 1:
        parser.error("--likes, --threads and --samples must be positive")
    configure_command_logging("bench", logging.WARNING)
    logs: Path = args.log_dir or Path(tempfile.mkdtemp(prefix="bench-"))

    def bench() -> None:
        results = run(likes, threads, samples, logs, Progress(STEPS))
        print_table(results)
        print(f"logs: {logs}")
        if not results.exactly_once:
            raise CommandError("a like was lost or counted twice (see 'exactly once' above)")

    return report_benchmark("bench", bench, logs)


if __name__ == "__main__":
    raise SystemExit(main())
