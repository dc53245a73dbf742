"""Applying a schedule to a running embedded system: signals to its processes, rules to its emulator.

Process faults run in one thread per lane, each fault at its time, and wait until what it broke is
back (the supervisor's new worker, gunicorn's new worker, the monolith restarted as ECS would
replace its task) before the lane's next one. A process is started on the thread that runs the
injector (see :meth:`Injector.serve_until`), never on a lane's: Linux sends a child its death
signal (SIGTERM, which ManagedProcess sets) when the *thread* that started it ends, so a monolith a
lane restarted would be stopped as soon as that lane ran out of faults.

AWS faults are the emulator's own. Whenever a window opens or closes, the rules of the windows open
then are set again (each ``for`` what is left of it); a window none of whose rules fired (a lull in
the traffic it targets, another fault starving it) stays open until one does, so that every window
bites.
"""

from __future__ import annotations

import dataclasses
import functools
import logging
import os
import queue
import random
import signal
import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any, TypeVar

from bench.chaos.schedule import Fault, Rule, Schedule
from embedded.emulator.faults import clear_faults, read_faults, set_faults
from embedded.processes import ManagedProcess, alive, process_parents, wait_until
from embedded.system import WORKERS, EmbeddedSystem

__all__ = ["Applied", "Injector", "resume_all"]

logger = logging.getLogger(__name__)
T = TypeVar("T")

RECOVERY_TIMEOUT_SECONDS = 90


class _RuleCounts:
    """How often each rule fired (by name), over every time the rules were set again (which resets
    the emulator's counts)."""

    def __init__(self, endpoint_url: str, seed: int) -> None:
        self.endpoint_url = endpoint_url
        self.seed = seed
        self.total: Counter[str] = Counter()
        self._seen: dict[str, int] = {}

    def collect(self) -> None:
        if not self._seen:
            return
        state = read_faults(self.endpoint_url)
        for rule, count in zip(state.get("rules", []), state.get("fired", []), strict=False):
            name = rule.get("name", "")
            self.total[name] += int(count) - self._seen.get(name, 0)
            self._seen[name] = int(count)

    def set(self, rules: list[Rule]) -> None:
        self.collect()
        if rules:
            set_faults(self.endpoint_url, [rule.as_json() for rule in rules], seed=self.seed)
        else:
            clear_faults(self.endpoint_url)
        self._seen = dict.fromkeys((rule.name for rule in rules), 0)

    def fired(self, rules: tuple[Rule, ...]) -> int:
        return sum(self.total[rule.name] for rule in rules)


@dataclass(frozen=True)
class Applied:
    at: float  # seconds after the chaos window opened
    kind: str
    detail: str


def resume_all(system: EmbeddedSystem) -> None:
    """SIGCONT every process of the system (a stopped one would never drain, nor stop)."""
    for process in [system.emulator, system.monolith, *system.workers.values()]:
        if process is not None and process.running:
            try:
                os.killpg(process.pid, signal.SIGCONT)
            except ProcessLookupError:
                continue


class Injector:
    """Runs a schedule's process faults against ``system``; counts what fired and what failed."""

    def __init__(self, system: EmbeddedSystem, schedule: Schedule) -> None:
        self.system = system
        self.schedule = schedule
        self.fired: Counter[str] = Counter()
        self.applied: list[Applied] = []
        self.failures: list[str] = []
        self._rng = random.Random(schedule.seed)
        self._stopping = threading.Event()
        self._threads: list[threading.Thread] = []
        self._opened = 0.0
        self._lock = threading.Lock()
        self._calls: queue.Queue[tuple[Callable[[], Any], Future[Any]]] = queue.Queue()

    def start(self) -> None:
        """Open the chaos window: a thread per process lane, one for every AWS window."""
        self._opened = time.monotonic()
        for lane, faults in self.schedule.lanes().items():
            if not lane.startswith("aws"):
                self._thread(f"chaos-{lane}", functools.partial(self._run_lane, faults))
        self._thread("chaos-aws", self._run_aws_windows)

    def _thread(self, name: str, target: Callable[[], None]) -> None:
        thread = threading.Thread(target=target, name=name, daemon=True)
        thread.start()
        self._threads.append(thread)

    def serve_until(self, moment: float, done: Callable[[], bool] = lambda: False) -> None:
        """Until ``moment`` (a time.monotonic()) or ``done()``, run here what the lanes ask to (process starts)."""
        while not done() and (remaining := moment - time.monotonic()) > 0:
            try:
                call, future = self._calls.get(timeout=min(remaining, 0.1))
            except queue.Empty:
                continue
            try:
                future.set_result(call())
            except BaseException as error:
                future.set_exception(error)

    def join(self, timeout: float) -> None:
        """Let the lanes finish their last faults (serving them), then stop any still waiting."""
        self.serve_until(time.monotonic() + timeout, lambda: not any(t.is_alive() for t in self._threads))
        self._stopping.set()
        self.serve_until(time.monotonic() + RECOVERY_TIMEOUT_SECONDS,
                         lambda: not any(t.is_alive() for t in self._threads))

    def stop(self) -> None:
        self._stopping.set()

    def _on_owner(self, call: Callable[[], T]) -> T:
        future: Future[T] = Future()
        self._calls.put((call, future))
        return future.result(timeout=2 * RECOVERY_TIMEOUT_SECONDS)

    def _run_lane(self, faults: list[Fault]) -> None:
        for fault in faults:
            if self._stopping.wait(max(self._opened + fault.at - time.monotonic(), 0)):
                return
            at = time.monotonic() - self._opened
            try:
                detail = self._apply(fault)
            except Exception as error:  # a fault that cannot be applied is reported, and the lane goes on
                logger.exception("Fault %s failed", fault.kind)
                with self._lock:
                    self.failures.append(f"{fault.kind} at +{at:.1f} s: {error}")
                continue
            with self._lock:
                self.fired[fault.kind] += 1
            self._record(Applied(round(at, 1), fault.kind, detail))

    def _run_aws_windows(self) -> None:
        windows = [fault for fault in self.schedule.faults if fault.rules]
        ends = [window.at + window.hold for window in windows]
        counts = _RuleCounts(self.system.endpoint_url, self.schedule.seed)
        closed: set[int] = set()
        applied: list[tuple[int, float]] = []  # the windows whose rules are set, and until when
        end = self.schedule.chaos_seconds
        try:
            while not self._stopping.is_set() and (now := time.monotonic() - self._opened) < end:
                for index, window in enumerate(windows):
                    if index in closed or ends[index] > now:
                        continue
                    counts.collect()
                    if counts.fired(window.rules) or now + 1 >= end:
                        closed.add(index)
                    else:
                        ends[index] = min(now + window.hold, end)
                        self._record(Applied(round(now, 1), window.kind, "no rule fired: kept open"))
                open_now = [(i, ends[i]) for i, w in enumerate(windows) if w.at <= now < ends[i] and i not in closed]
                if open_now != applied:
                    for index in {i for i, _ in open_now} - {i for i, _ in applied}:
                        self._record(Applied(round(now, 1), windows[index].kind, windows[index].describe()))
                    counts.set([dataclasses.replace(rule, after=0, seconds_for=until - now)
                                for i, until in open_now for rule in windows[i].rules])
                    applied = open_now
                self._stopping.wait(0.2)
            counts.set([])
        except Exception as error:  # reported with the run's other failures; what fired so far still counts
            logger.exception("AWS faults failed")
            with self._lock:
                self.failures.append(f"AWS fault windows at +{time.monotonic() - self._opened:.1f} s: {error}")
        kinds = {rule.name: f"aws {rule.fault}" for rule in self.schedule.rules}
        with self._lock:
            for name, count in counts.total.items():
                self.fired[kinds[name]] += count

    def _record(self, applied: Applied) -> None:
        with self._lock:
            self.applied.append(applied)
        logger.info("+%.1f s %s: %s", applied.at, applied.kind, applied.detail)

    def _apply(self, fault: Fault) -> str:
        target, _, action = fault.kind.partition(" ")
        if target in WORKERS:
            return self._worker_fault(target, action, fault.hold)
        if fault.kind == "gunicorn worker kill -9":
            return self._kill_gunicorn_worker()
        if target == "monolith":
            return self._monolith_fault(signal.SIGKILL if action == "kill -9" else signal.SIGTERM)
        if fault.kind == "emulator SIGSTOP":
            assert self.system.emulator is not None, "the chaos run starts its own emulator"
            return self._stopped_for(self.system.emulator, fault.hold)
        raise ValueError(f"unknown fault {fault.kind}")

    def _worker_fault(self, name: str, action: str, hold: float) -> str:
        wait_until(lambda: self.system.workers[name].running, RECOVERY_TIMEOUT_SECONDS, f"{name} running")
        worker = self.system.workers[name]
        if action == "SIGSTOP":
            return self._stopped_for(worker, hold)
        started = time.monotonic()
        worker.signal(signal.SIGKILL if action == "kill -9" else signal.SIGTERM)
        exit_code = worker.wait(RECOVERY_TIMEOUT_SECONDS)
        wait_until(lambda: self.system.workers[name] is not worker and self.system.workers[name].running,
                   RECOVERY_TIMEOUT_SECONDS, f"the supervisor's new {name}")
        return f"pid {worker.pid} exited {exit_code}; replaced in {time.monotonic() - started:.1f} s"

    def _stopped_for(self, process: ManagedProcess, hold: float) -> str:
        process.signal(signal.SIGSTOP)
        try:
            self._stopping.wait(hold)
        finally:
            process.signal(signal.SIGCONT)
        return f"pid {process.pid} stopped {hold:.1f} s"

    def _gunicorn_workers(self, master: int) -> list[int]:
        return sorted(pid for pid, parent in process_parents().items() if parent == master and alive(pid))

    def _kill_gunicorn_worker(self) -> str:
        monolith = self.system.monolith
        assert monolith is not None
        workers = self._gunicorn_workers(monolith.pid)
        if not workers:
            raise RuntimeError(f"the gunicorn master {monolith.pid} has no worker to kill")
        victim = self._rng.choice(workers)
        started = time.monotonic()
        os.kill(victim, signal.SIGKILL)

        def respawned() -> bool:
            now = self._gunicorn_workers(monolith.pid)
            return victim not in now and len(now) >= len(workers)

        wait_until(respawned, RECOVERY_TIMEOUT_SECONDS, "gunicorn's new worker")
        return f"worker {victim} of master {monolith.pid}; respawned in {time.monotonic() - started:.1f} s"

    def _monolith_fault(self, signum: int) -> str:
        monolith = self.system.monolith
        assert monolith is not None
        started = time.monotonic()
        if signum == signal.SIGKILL:
            monolith.kill_group()
        else:
            monolith.signal(signum)
        exit_code = monolith.wait(RECOVERY_TIMEOUT_SECONDS)
        stopped = time.monotonic() - started
        self._on_owner(self.system.start_monolith)  # as ECS replaces a task whose essential container exited
        return (f"master {monolith.pid} exited {exit_code} after {stopped:.1f} s; answering again after "
                f"{time.monotonic() - started:.1f} s")
