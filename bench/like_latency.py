"""How long a like takes to become visible, queue mode against its inline baseline, in one run.

    .venv/bin/python -m bench.like_latency [--likes 40] [--burst 300]

Starts one emulator and two systems on free ports (queue mode with both workers; inline mode with
none) and prints, for each: the latency from POST /like to the count showing it (p50, p95), and
the time a burst of concurrent likes takes until all are counted (likes per second). The ratio
queue/inline is the price of the asynchronous path on this machine, measured side by side. If the
systems fail, one line says why, ``bench.like_latency failed: <why> (logs: DIR)``, with an exit code
as :mod:`mysfits_common.cli` lists them.
"""

from __future__ import annotations

import argparse
import logging
import statistics
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

from bench.failures import report_benchmark
from embedded.config import SystemConfig
from embedded.processes import free_port
from embedded.system import EmbeddedSystem
from mysfits_common.cli import configure_command_logging


def _likes(api: str, mysfit_id: str) -> int:
    return int(requests.get(f"{api}/mysfits/{mysfit_id}", timeout=10).json()["likes"])


def latency(api: str, mysfit_id: str, count: int) -> list[float]:
    samples = []
    for _ in range(count):
        before = _likes(api, mysfit_id)
        started = time.perf_counter()
        requests.post(f"{api}/mysfits/{mysfit_id}/like", timeout=10).raise_for_status()
        while _likes(api, mysfit_id) <= before:
            time.sleep(0.01)
        samples.append(time.perf_counter() - started)
    return samples


def burst(api: str, mysfit_id: str, count: int) -> float:
    before = _likes(api, mysfit_id)
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=16) as pool:
        list(pool.map(lambda _: requests.post(f"{api}/mysfits/{mysfit_id}/like", timeout=30), range(count)))
    while _likes(api, mysfit_id) < before + count:
        time.sleep(0.05)
    return count / (time.perf_counter() - started)


def measure(system: EmbeddedSystem, likes: int, burst_size: int) -> tuple[float, float, float]:
    mysfit_id = requests.get(f"{system.api_url}/mysfits", timeout=10).json()["mysfits"][0]["mysfitId"]
    samples = latency(system.api_url, mysfit_id, likes)
    p95 = statistics.quantiles(samples, n=20)[-1]
    return statistics.median(samples), p95, burst(system.api_url, mysfit_id, burst_size)


def compare(likes: int, burst_size: int, logs: Path) -> None:
    """Measure inline mode, then queue mode, on one emulator; print both and their ratio."""
    queue_config = SystemConfig(api_port=free_port(), emulator_port=free_port(), serve_website=False,
                                log_dir=logs / "queue")
    with EmbeddedSystem(queue_config) as queued:
        inline_config = SystemConfig(api_port=free_port(), endpoint_url=queued.endpoint_url, project="benchinline",
                                     like_mode="inline", run_workers=False, serve_website=False,
                                     log_dir=logs / "inline")
        with EmbeddedSystem(inline_config) as inline:
            inline_figures = measure(inline, likes, burst_size)
        queue_figures = measure(queued, likes, burst_size)
    print(f"{'mode':<8}{'p50 ms':>10}{'p95 ms':>10}{'likes/s':>10}")
    for name, (p50, p95, rate) in (("inline", inline_figures), ("queue", queue_figures)):
        print(f"{name:<8}{p50 * 1000:>10.1f}{p95 * 1000:>10.1f}{rate:>10.1f}")
    print(f"queue/inline: p50 x{queue_figures[0] / inline_figures[0]:.1f}, "
          f"throughput x{queue_figures[2] / inline_figures[2]:.2f}  (logs: {logs})")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--likes", type=int, default=40, help="sequential likes timed one by one")
    parser.add_argument("--burst", type=int, default=300, help="concurrent likes for the throughput figure")
    args = parser.parse_args(argv)
    configure_command_logging("bench.like_latency", logging.WARNING)
    logs = Path(tempfile.mkdtemp(prefix="bench-"))
    return report_benchmark("bench.like_latency", lambda: compare(args.likes, args.burst, logs), logs)


if __name__ == "__main__":
    raise SystemExit(main())
