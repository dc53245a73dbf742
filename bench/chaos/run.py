"""One chaos run, start to verdict: the system, the load, the schedule, the settling, the judging."""

from __future__ import annotations

import dataclasses
import json
import logging
import random
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from bench.chaos.inject import Applied, Injector, resume_all
from bench.chaos.judge import Audit, Verdict, judge, read_state
from bench.chaos.load import TIMEOUT, Burst, Ledger, Load, RetryingClient
from bench.chaos.schedule import KINDS, Schedule, plan
from bench.pipeline import Observer
from embedded.config import SystemConfig
from embedded.processes import free_port, wait_until
from embedded.system import WORKERS, EmbeddedSystem
from monolith.dynamodb import DynamoMysfitRepository
from monolith.seed import catalogue
from mysfits_common.budgets import REQUEST_SECONDS

__all__ = ["ChaosOptions", "ChaosRun", "run_chaos"]

logger = logging.getLogger(__name__)

VISIBILITY_TIMEOUT = 10
# The workers' back-off after a failed fulfil, short (as tests/faults sets it) so that a run settles
# within a minute or two of its last fault.
WORKER_BACKOFF = {"WORKER_BACKOFF_BASE_SECONDS": "1", "WORKER_BACKOFF_MAX_SECONDS": "4"}
# A public answer's budget (mysfits_common.budgets), and slack for a machine busy with the chaos itself.
BUDGET_SLACK_SECONDS = 2.0
CLIENT_TIMEOUT_SECONDS = 30.0  # half the load balancer's 60 s: an answer later than this is a hung one


@dataclass(frozen=True)
class ChaosOptions:
    minutes: float
    seed: int
    min_each: int
    log_dir: Path
    likes_per_second: float = 20.0
    burst_every_seconds: float = 12.0  # a burst of rival adoptions of one fresh mysfit, on average
    settle_timeout: float = 180.0
    visibility_timeout: int = VISIBILITY_TIMEOUT


@dataclass
class ChaosRun:
    schedule: Schedule
    ledger: Ledger
    verdict: Verdict
    fired: Counter[str] = field(default_factory=Counter)
    applied: list[Applied] = field(default_factory=list)
    settle_seconds: float | None = None

    @property
    def violations(self) -> list[str]:
        return [str(violation) for violation in self.verdict.violations]


def system_config(options: ChaosOptions) -> SystemConfig:
    return SystemConfig(
        api_port=free_port(),
        emulator_port=free_port(),
        serve_website=False,
        project="chaos",
        visibility_timeout=options.visibility_timeout,
        log_dir=options.log_dir,
        status_dir=options.log_dir / "status",
        extra_env=dict(WORKER_BACKOFF),
    )


def run_chaos(options: ChaosOptions, out: Callable[[str], None] = print) -> ChaosRun:
    schedule = plan(options.minutes * 60, options.seed, options.min_each, options.visibility_timeout)
    out("\n".join(schedule.lines()))
    with EmbeddedSystem(system_config(options)) as system:
        injector = Injector(system, schedule)
        try:
            return _run(system, schedule, injector, options, out)
        finally:
            injector.stop()
            resume_all(system)  # a stopped process would hold up the system's stop


def _run(system: EmbeddedSystem, schedule: Schedule, injector: Injector, options: ChaosOptions,
         out: Callable[[str], None]) -> ChaosRun:
    assert system.topology is not None
    observer = Observer(system.endpoint_url, system.topology, system.config.region)
    audit = Audit(observer, "chaos-audit")
    catalogue_ids = {mysfit.mysfit_id for mysfit in catalogue()}
    items = observer.items(system.topology.mysfits_table)
    likes_before = {item["MysfitId"]["S"]: int(item["Likes"]["N"]) for item in items
                    if item["MysfitId"]["S"] in catalogue_ids}
    origin = time.monotonic()
    bursts = _bursts(observer, options, schedule.calm_seconds + schedule.chaos_seconds)
    ledger = Ledger()
    client = RetryingClient(system.api_url, origin, timeout=CLIENT_TIMEOUT_SECONDS)
    load = Load(client, ledger, list(likes_before), options.likes_per_second, bursts, options.seed).start()
    run = ChaosRun(schedule, ledger, Verdict())
    try:
        _sleep_until(origin + schedule.calm_seconds)
        out(f"+{time.monotonic() - origin:.0f} s: the chaos window opens")
        injector.start()
        injector.serve_until(origin + schedule.calm_seconds + schedule.chaos_seconds)
    finally:
        load.stop()
    out(f"+{time.monotonic() - origin:.0f} s: the load has stopped; waiting for the last faults to end")
    injector.join(timeout=120)
    run.fired.update(injector.fired)
    run.applied = injector.applied
    _recover(system)
    run.settle_seconds = _settle(observer, options.settle_timeout)
    out(f"settled in {run.settle_seconds:.1f} s" if run.settle_seconds is not None else "did not settle")
    run.verdict = judge(ledger, read_state(observer, audit, likes_before))
    _write_ledger(ledger, options.log_dir / "ledger.jsonl")
    _judge_run(run, injector.failures, options)
    return run


def _write_ledger(ledger: Ledger, path: Path) -> None:
    """Every logical request and its attempts, a JSON line each: the evidence behind a violation."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w") as lines:
        for request in ledger.requests:
            record = {**dataclasses.asdict(request), "answer": str(request.answer), "eventId": request.event_id}
            lines.write(json.dumps(record) + "\n")


def _sleep_until(moment: float) -> None:
    time.sleep(max(moment - time.monotonic(), 0))


def _bursts(observer: Observer, options: ChaosOptions, seconds: float) -> list[Burst]:
    """Seeded bursts of rival adoptions, each of a fresh mysfit (a copy of a catalogue one) made now."""
    rng = random.Random(options.seed + 1)
    repository = DynamoMysfitRepository(observer.dynamodb, observer.topology.mysfits_table,
                                        observer.topology.processed_events_table)
    templates = catalogue()
    bursts, at = [], rng.uniform(1, options.burst_every_seconds)
    while at < seconds - 1:
        mysfit_id = f"chaos-{uuid.UUID(int=rng.getrandbits(128))}"
        mysfit = dataclasses.replace(rng.choice(templates), mysfit_id=mysfit_id, likes=0, adopted=False)
        repository.add_if_absent(mysfit)
        bursts.append(Burst(round(at, 1), mysfit.mysfit_id, rng.randint(3, 6)))
        at += rng.uniform(0.5, 1.5) * options.burst_every_seconds
    return bursts


def _recover(system: EmbeddedSystem) -> None:
    """Everything running again: nothing stopped, a dead monolith restarted, the supervisor's workers up."""
    resume_all(system)
    if system.monolith is None or not system.monolith.running:
        system.start_monolith()
    wait_until(lambda: all(system.workers[name].running for name in WORKERS), 60, "both workers running")


def _settle(observer: Observer, timeout: float) -> float | None:
    """Seconds until both queues are empty with nothing in flight; None if they are not within ``timeout``."""
    topology = observer.topology
    started = time.monotonic()
    try:
        wait_until(lambda: sum(observer.depth(queue.url) for queue in topology.queues.values()) == 0,
                   timeout, "both queues empty", interval=0.5)
    except TimeoutError:
        return None
    return round(time.monotonic() - started, 1)


def _judge_run(run: ChaosRun, failures: list[str], options: ChaosOptions) -> None:
    """What the run itself must show besides the final state: settled, every fault fired, no hung answer."""
    verdict = run.verdict
    if run.settle_seconds is None:
        verdict.add("queues not empty", [f"a message still in a queue after {options.settle_timeout:.0f} s"])
    short = [f"{kind}: {run.fired[kind]} of {options.min_each}" for kind in KINDS if run.fired[kind] < options.min_each]
    verdict.add("fault fired fewer times than --min-each", short)
    verdict.add("fault that could not be applied", failures)
    slow = REQUEST_SECONDS + BUDGET_SLACK_SECONDS
    budget = f"{REQUEST_SECONDS:.0f} s, and {BUDGET_SLACK_SECONDS:.0f} s slack"
    verdict.add(f"answer slower than the request budget ({budget})", (
        str(request) for request in run.ledger.requests
        if any(a.status is not None and a.seconds > slow for a in request.attempts)
    ))
    verdict.add(f"hung answer (none within the client's {CLIENT_TIMEOUT_SECONDS:.0f} s)", (
        str(request) for request in run.ledger.requests if any(a.error == TIMEOUT for a in request.attempts)
    ))
