"""The chaos benchmark's report: what each fault kind cost the clients while it lasted."""

from __future__ import annotations

from bench.chaos.load import RESET, Attempt, Request
from bench.chaos.report import AFTERMATH_SECONDS, costs
from bench.chaos.schedule import Fault, Schedule
from bench.pipeline import percentile


def request(started: float, *attempts: tuple[float, int | None]) -> Request:
    return Request("like", "m1", f"key-{started}", [
        Attempt(started, seconds, status=status, error=None if status else RESET) for seconds, status in attempts
    ])


def row(lines: list[str], kind: str) -> list[str]:
    (line,) = [line for line in lines if line.startswith(kind + " ")]
    return line[len(kind):].split()


def test_a_fault_kind_is_charged_the_requests_begun_while_it_lasted_and_just_after() -> None:
    # GIVEN an SNS hang from 10 s to 30 s of the chaos window, after a calm start of 100 s
    schedule = Schedule(seed=1, calm_seconds=100, chaos_seconds=200, faults=[Fault(10, "aws hang", "aws sns", 20)])
    during = request(115, (2.0, 503), (0.05, 202))
    lost = request(120, (3.0, None), (0.04, 202))
    just_after = request(130 + AFTERMATH_SECONDS - 1, (0.5, 202))
    before, later = request(105, (0.01, 202)), request(130 + AFTERMATH_SECONDS + 1, (9.9, 202))

    lines = costs(schedule, [before, during, lost, just_after, later])

    # THEN the hang is charged the three begun in its window and its aftermath, and nothing else
    p99 = percentile(sorted([2.0, 0.05, 0.04, 0.5]), 99) * 1000
    assert row(lines, "aws hang") == ["1", "3", "1", "1", f"{p99:.0f}", "2000"]
    assert row(lines, "like_worker kill -9") == ["0", "0", "0", "0", "-", "-"]
