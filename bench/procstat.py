"""What /proc says about a process tree: CPU seconds, resident and peak resident memory."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from embedded.processes import descendants, process_parents

__all__ = ["MB", "ProcessStat", "Snapshot", "cpu_between", "read_process", "rss_mb", "snapshot"]

_CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
MB = 1024 * 1024


@dataclass(frozen=True)
class ProcessStat:
    """One process at one instant: CPU seconds used so far (user + system), resident and peak resident bytes."""

    cpu_seconds: float
    rss_bytes: int
    peak_rss_bytes: int


# Per watched name (emulator, monolith...), the process and its descendants by pid.
Snapshot = dict[str, dict[int, ProcessStat]]


def read_process(pid: int) -> ProcessStat | None:
    """None if the process is gone (a worker restarted between listing and reading)."""
    try:
        stat_fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    # After the command name: state is field 3, utime field 14 and stime field 15 (proc(5)).
    cpu_seconds = (int(stat_fields[11]) + int(stat_fields[12])) / _CLOCK_TICKS
    memory = {}
    for line in status.splitlines():
        key, _, value = line.partition(":")
        if key in {"VmRSS", "VmHWM"}:
            memory[key] = int(value.split()[0]) * 1024
    return ProcessStat(cpu_seconds, memory.get("VmRSS", 0), memory.get("VmHWM", 0))


def snapshot(roots: Mapping[str, int]) -> Snapshot:
    parents = process_parents()
    taken: Snapshot = {}
    for name, root in roots.items():
        stats = {pid: read_process(pid) for pid in [root, *descendants(root, parents)]}
        taken[name] = {pid: stat for pid, stat in stats.items() if stat is not None}
    return taken


def cpu_between(before: Mapping[int, ProcessStat], after: Mapping[int, ProcessStat]) -> float:
    """CPU used in between, per pid, so that a process started in between counts from zero."""
    return sum(stat.cpu_seconds - (before[pid].cpu_seconds if pid in before else 0.0) for pid, stat in after.items())


def rss_mb(processes: Mapping[int, ProcessStat]) -> float:
    return sum(stat.rss_bytes for stat in processes.values()) / MB
