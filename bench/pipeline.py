"""What `python -m bench` measures, one stretch of load at a time, all against the same emulator.

Each stretch is a :class:`Window`: the likes it carried, the AWS requests the emulator counted
meanwhile (by service and action; the bench's own reads carry the caller ``bench-observer`` and are
left out), the DynamoDB write units it charged (by table and index, as DynamoDB computes them:
:mod:`embedded.emulator.consumed_capacity`), and the CPU each watched process group spent, read
from /proc.
"""

from __future__ import annotations

import json
import os
import runpy
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import requests
from botocore.config import Config

from bench.load import LikeLoad
from bench.procstat import ProcessStat, cpu_between, snapshot
from deploy.topology import Topology
from embedded.emulator.request_count import read_counts, reset_counts
from embedded.processes import ManagedProcess, answers, free_port, wait_until
from embedded.system import EmbeddedSystem
from monolith.config import EVENTS_TOPIC_ARN

OBSERVER = "bench-observer"
POLL_SECONDS = 0.02
DRAIN_TIMEOUT_SECONDS = 600
REPO_ROOT = Path(__file__).resolve().parent.parent
_MB = 1024 * 1024


class Observer:
    """The bench's own view of the emulator: likes counted, the depth of a queue, a table's items."""

    def __init__(self, endpoint_url: str, topology: Topology, region: str) -> None:
        session = boto3.session.Session(region_name=region)
        config = Config(user_agent_appid=OBSERVER)
        self.dynamodb = session.client("dynamodb", endpoint_url=endpoint_url, config=config)
        self.sqs = session.client("sqs", endpoint_url=endpoint_url, config=config)
        self.sns = session.client("sns", endpoint_url=endpoint_url, config=config)
        self.endpoint_url = endpoint_url
        self.topology = topology

    def items(self, table: str, projection: str | None = None) -> Iterator[dict[str, Any]]:
        """Every item of ``table`` (a scan, page by page), in DynamoDB's typed form."""
        options = {"ProjectionExpression": projection} if projection else {}
        for page in self.dynamodb.get_paginator("scan").paginate(TableName=table, ConsistentRead=True, **options):
            yield from page["Items"]

    def total_likes(self) -> int:
        items = self.items(self.topology.mysfits_table, "Likes")
        return sum(int(item.get("Likes", {}).get("N", "0")) for item in items)

    def depth(self, queue_url: str) -> int:
        """Messages in the queue, visible or in flight."""
        names = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
        attributes = self.sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=names)
        return sum(int(value) for value in attributes["Attributes"].values())

    def like_queue_depth(self) -> int:
        return self.depth(self.topology.queues["like"].url)

    def wait_counted(self, expected: int, on_progress: Callable[[int], None] = lambda _: None) -> float:
        """Until `expected` likes are counted and the like queue is empty; the time the last like was counted."""
        deadline = time.monotonic() + DRAIN_TIMEOUT_SECONDS
        while (total := self.total_likes()) < expected:
            on_progress(total)
            if time.monotonic() > deadline:
                raise TimeoutError(f"only {total} of {expected} likes counted after {DRAIN_TIMEOUT_SECONDS} s")
            time.sleep(POLL_SECONDS)
        counted_at = time.perf_counter()
        while self.like_queue_depth() and time.monotonic() < deadline:
            time.sleep(POLL_SECONDS)
        return counted_at


@dataclass(frozen=True)
class Window:
    likes: int
    counted: int  # how many the counts went up by: likes, unless one was lost or counted twice
    seconds: float
    requests: dict[tuple[str, str], int]  # (service, action) -> requests, the observer's left out
    batch_entries: int  # entries of the PublishBatch requests counted
    cpu_seconds: dict[str, float]  # process group -> CPU seconds
    write_units: dict[tuple[str, str], float]  # (table, index; "" for the table itself) -> DynamoDB write units

    def requests_per_like(self, key: tuple[str, str] | None = None) -> float:
        count = sum(self.requests.values()) if key is None else self.requests.get(key, 0)
        return count / max(self.likes, 1)

    def write_units_per_like(self, key: tuple[str, str] | None = None) -> float:
        units = sum(self.write_units.values()) if key is None else self.write_units.get(key, 0.0)
        return units / max(self.likes, 1)

    def cpu_per_thousand(self, *groups: str) -> float:
        return sum(self.cpu_seconds.get(group, 0.0) for group in groups) / max(self.likes, 1) * 1000

    @property
    def entries_per_publish_batch(self) -> float:
        batches = self.requests.get(("sns", "PublishBatch"), 0)
        return self.batch_entries / batches if batches else 0.0


def measure(endpoint_url: str, roots: Mapping[str, int], run: Callable[[], tuple[int, int]]) -> Window:
    """Run `run` (it returns the likes it accepted and by how much the counts went up) and what it cost."""
    reset_counts(endpoint_url)
    before = snapshot(roots)
    started = time.perf_counter()
    likes, counted = run()
    seconds = time.perf_counter() - started
    after = snapshot(roots)
    counts = read_counts(endpoint_url)
    return Window(
        likes=likes,
        counted=counted,
        seconds=seconds,
        requests={key: n for key, n in counts.by_action(excluding_caller=OBSERVER).items() if n},
        batch_entries=sum(n for caller, n in counts.batch_entries.items() if caller != OBSERVER),
        cpu_seconds={name: cpu_between(before.get(name, {}), after.get(name, {})) for name in roots},
        write_units=counts.write_units,
    )


def project_indexes(endpoint_url: str, region: str, table: str, projection_type: str) -> None:
    """Rebuild each of the table's indexes projecting ``projection_type`` (``ALL``: as before issue 24
    projected them), one at a time, as DynamoDB allows: the baseline's write units are then what that
    projection costs, measured, not computed."""
    dynamodb = boto3.client("dynamodb", endpoint_url=endpoint_url, region_name=region)
    described = dynamodb.describe_table(TableName=table)["Table"]
    for index in described.get("GlobalSecondaryIndexes", []):
        if index["Projection"]["ProjectionType"] == projection_type:
            continue
        delete = {"Delete": {"IndexName": index["IndexName"]}}
        dynamodb.update_table(TableName=table, GlobalSecondaryIndexUpdates=[delete])
        dynamodb.update_table(
            TableName=table,
            AttributeDefinitions=described["AttributeDefinitions"],
            GlobalSecondaryIndexUpdates=[{"Create": {"IndexName": index["IndexName"], "KeySchema": index["KeySchema"],
                                                     "Projection": {"ProjectionType": projection_type}}}],
        )


def table_roles(topology: Topology) -> dict[str, str]:
    """What each of a topology's tables is for, by name: the figures compare tables of two systems."""
    return {topology.mysfits_table: "mysfits table", topology.processed_events_table: "processed-events table"}


def roots_of(system: EmbeddedSystem) -> dict[str, int]:
    assert system.monolith is not None
    return {"monolith": system.monolith.pid, **{name: worker.pid for name, worker in system.workers.items()}}


def peak_rss_mb(roots: Mapping[str, int]) -> dict[str, float]:
    """Per process group, the largest peak RSS of any one of its processes (a gunicorn worker, not the sum)."""
    taken: dict[str, dict[int, ProcessStat]] = snapshot(roots)
    return {name: max((s.peak_rss_bytes for s in stats.values()), default=0) / _MB for name, stats in taken.items()}


def saturate(system: EmbeddedSystem, observer: Observer, load: LikeLoad, likes: int,
             on_progress: Callable[[int], None]) -> Window:
    """`likes` from every load thread at once while the like worker drains: the system at its limit."""
    before = observer.total_likes()

    def run() -> tuple[int, int]:
        accepted = load.submit(likes).accepted
        observer.wait_counted(before + accepted, lambda total: on_progress(total - before))
        return accepted, observer.total_likes() - before

    return measure(observer.endpoint_url, roots_of(system), run)


@dataclass(frozen=True)
class Drain:
    per_second: float
    queued: int  # likes waiting in the queue when the like worker started
    counted: int


def drain_rate(system: EmbeddedSystem, observer: Observer, load: LikeLoad, likes: int, already_queued: int,
               on_progress: Callable[[int], None]) -> Drain:
    """Likes per second the like worker counts from a full queue (it starts once the likes wait there).

    Timed from the first like counted to the last, so that the worker's start-up is left out.
    """
    before = observer.total_likes()
    queued = already_queued + load.submit(likes).accepted
    system.start_worker("like_worker")
    while (first := observer.total_likes()) == before:
        time.sleep(POLL_SECONDS)
    first_seen = time.perf_counter()
    last_seen = observer.wait_counted(before + queued, lambda total: on_progress(total - before))
    per_second = (before + queued - first) / max(last_seen - first_seen, 1e-9)
    return Drain(per_second, queued, observer.total_likes() - before)


def inline_rate(inline: EmbeddedSystem, load: LikeLoad, likes: int) -> tuple[float, Window]:
    """Likes per second inline mode counts, each in its own request (and its own transaction), from
    every load thread at once; and what that stretch cost."""
    seconds: list[float] = []

    def run() -> tuple[int, int]:
        submitted = load.submit(likes)
        seconds.append(submitted.seconds)
        return submitted.accepted, submitted.accepted  # a 200 is a like written

    window = measure(inline.endpoint_url, roots_of(inline), run)
    return window.likes / seconds[0], window


def latencies(api_url: str, mysfit_id: str, samples: int) -> list[float]:
    """Seconds from POST /like to the count showing it, one like at a time (light load)."""
    with requests.Session() as session:  # closed after: no idle connection holds up a stop of the monolith

        def likes() -> int:
            return int(session.get(f"{api_url}/mysfits/{mysfit_id}", timeout=10).json()["likes"])

        measured = []
        for _ in range(samples):
            before = likes()
            started = time.perf_counter()
            session.post(f"{api_url}/mysfits/{mysfit_id}/like", timeout=10).raise_for_status()
            while likes() <= before:
                time.sleep(0.002)
            measured.append(time.perf_counter() - started)
    return measured


def percentile(samples: list[float], pct: int) -> float:
    if len(samples) < 2:
        return samples[0]
    return statistics.quantiles(samples, n=100, method="inclusive")[pct - 1]


@dataclass(frozen=True)
class Bare:
    cpu_per_thousand: float  # the bare app while publishing plus the bare consumer while draining
    ceiling_per_second: float  # receive-and-delete from a full queue
    app_peak_rss_mb: float
    consumer_peak_rss_mb: float


def bare_baseline(system: EmbeddedSystem, mysfit_ids: list[str], threads: int, likes: int, log_dir: Path) -> Bare:
    """The same load through the least code that does the job: publish only, then receive and delete only.

    Runs before the like worker starts, so that the like queue's messages are the bare consumer's.
    """
    assert system.topology is not None
    gunicorn = runpy.run_path(str(REPO_ROOT / "monolith" / "gunicorn.conf.py"))
    port = free_port()
    argv = [sys.executable, "-m", "gunicorn", "--workers", str(gunicorn["workers"]), "--threads",
            str(gunicorn["threads"]), "--bind", f"127.0.0.1:{port}", "bench.bare_app:app"]
    env = {**system.config.extra_env, **_service_env(system), **EVENTS_TOPIC_ARN.env(system.topology.events_topic_arn)}
    app = ManagedProcess("bare_app", argv, env, log_dir / "bare_app.log").start()
    try:
        url = f"http://127.0.0.1:{port}"
        wait_until(lambda: answers(url + "/"), 60, "the bare app")
        load = LikeLoad(url, mysfit_ids, threads)
        try:
            warm = load.submit(threads).accepted  # each gunicorn worker builds its client on its first request
            window = measure(system.endpoint_url, {"bare_app": app.pid}, lambda: (load.submit(likes).accepted,) * 2)
        finally:
            load.close()
        app_peak = peak_rss_mb({"bare_app": app.pid})["bare_app"]
    finally:
        app.stop(timeout=10)
    consumer = subprocess.run(
        [sys.executable, "-m", "bench.bare_consumer", system.topology.queues["like"].url, str(warm + window.likes)],
        env=env, cwd=REPO_ROOT, capture_output=True, text=True, check=True, timeout=DRAIN_TIMEOUT_SECONDS,
    )
    drained = json.loads(consumer.stdout.strip().splitlines()[-1])
    consumer_per_thousand = drained["cpuSeconds"] / max(drained["messages"], 1) * 1000
    return Bare(
        cpu_per_thousand=window.cpu_per_thousand("bare_app") + consumer_per_thousand,
        ceiling_per_second=drained["messages"] / max(drained["seconds"], 1e-9),
        app_peak_rss_mb=app_peak,
        consumer_peak_rss_mb=drained["peakRssMb"],
    )


def _service_env(system: EmbeddedSystem) -> dict[str, str]:
    return {**os.environ, "AWS_ENDPOINT_URL": system.endpoint_url, "AWS_DEFAULT_REGION": system.config.region,
            "PYTHONUNBUFFERED": "1"}
