"""The chaos benchmark's schedule: every kind as often as asked, lanes that never overlap, seeded."""

from __future__ import annotations

import itertools
from collections import Counter

import pytest

from bench.chaos.schedule import KINDS, ScheduleDoesNotFit, plan


def test_every_kind_fires_min_each_times_within_the_chaos_window() -> None:
    schedule = plan(30 * 60, seed=3, min_each=5, visibility_timeout=10)

    assert Counter(fault.kind for fault in schedule.faults) == dict.fromkeys(KINDS, 5)
    assert all(f.at >= 0 and f.at + f.hold <= schedule.chaos_seconds for f in schedule.faults)
    assert all(rule.after + rule.seconds_for <= schedule.chaos_seconds + 0.1 for rule in schedule.rules)


def test_within_a_lane_a_fault_starts_after_the_last_one_ended() -> None:
    schedule = plan(75, seed=1, min_each=1, visibility_timeout=10)

    for faults in schedule.lanes().values():
        for before, after in itertools.pairwise(faults):
            assert after.at >= before.at + before.hold


def test_a_worker_is_stopped_for_longer_than_the_visibility_timeout() -> None:
    schedule = plan(75, seed=1, min_each=1, visibility_timeout=10)

    stops = [f for f in schedule.faults if f.kind.endswith("worker SIGSTOP")]
    assert len(stops) == 2 and all(f.hold > 10 for f in stops)


def test_the_same_seed_gives_the_same_schedule_and_another_seed_another() -> None:
    assert plan(75, 1, 1, 10).lines() == plan(75, 1, 1, 10).lines()
    assert plan(75, 1, 1, 10).lines() != plan(75, 2, 1, 10).lines()


def test_faults_that_need_more_time_than_the_run_has_are_refused() -> None:
    with pytest.raises(ScheduleDoesNotFit, match="lane needs"):
        plan(60, seed=1, min_each=5, visibility_timeout=10)
