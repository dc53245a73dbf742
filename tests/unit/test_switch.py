"""The strangler switch read at run time: cached briefly, robust to SSM's failures, the environment's as fallback."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from botocore.exceptions import EndpointConnectionError

from monolith.app import build_modes
from monolith.config import Settings
from monolith.service import MysfitsService
from monolith.switch import Feature, FixedModes, ParameterModes
from tests.fakes import FakeRepository, FakeSsm, RecordingPublisher


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


NAMES: dict[Feature, str] = {"like": "/strangler-switch/mysfits/like", "adopt": "/strangler-switch/mysfits/adopt"}


def modes(ssm: FakeSsm, clock: Clock, fallback: FixedModes | None = None) -> ParameterModes:
    return ParameterModes(ssm, NAMES, fallback or FixedModes(), cache_seconds=3, clock=clock)


def test_a_flip_is_seen_once_the_cache_period_has_passed_and_not_before() -> None:
    ssm, clock = FakeSsm(like="queue", adopt="queue"), Clock()
    switch = modes(ssm, clock)
    assert switch.mode("like") == "queue"

    ssm.values["/strangler-switch/mysfits/like"] = "inline"
    clock.now += 2.9
    assert switch.mode("like") == "queue"
    clock.now += 0.2
    assert switch.mode("like") == "inline"
    assert ssm.reads == 2  # one read per period, whatever the number of requests


def test_a_slow_read_that_began_before_a_flip_does_not_stretch_the_stale_period() -> None:
    # GIVEN a read that answers the old mode after 2 s (the flip lands while it is in flight)
    ssm, clock = FakeSsm(like="queue"), Clock()
    flipped_at = clock.now + 1
    slow_get = ssm.get_parameter

    def slow_read(Name: str) -> dict[str, Any]:
        answer = slow_get(Name)
        clock.now += 2
        ssm.values[Name] = "inline"
        return answer

    ssm.get_parameter = slow_read  # type: ignore[method-assign]
    switch = modes(ssm, clock)
    assert switch.mode("like") == "queue"
    ssm.get_parameter = slow_get  # type: ignore[method-assign]

    # THEN the flip is seen within the cache period of the flip itself, not of the read's answer
    clock.now = flipped_at + 3
    assert switch.mode("like") == "inline"


def test_a_slow_read_that_fails_keeps_the_mode_a_whole_period_from_its_failure() -> None:
    # GIVEN an SSM that fails after 6 s (an unreachable endpoint: connect timeouts and retries)
    ssm, clock = FakeSsm(like="inline"), Clock()
    switch = modes(ssm, clock)
    assert switch.mode("like") == "inline"
    clock.now += 10
    failing = ssm.get_parameter

    def unreachable(Name: str) -> dict[str, Any]:
        clock.now += 6
        raise EndpointConnectionError(endpoint_url="https://ssm")

    ssm.get_parameter = unreachable  # type: ignore[method-assign]
    assert switch.mode("like") == "inline"
    ssm.get_parameter = failing  # type: ignore[method-assign]

    # THEN the next requests of the period keep the mode without asking again
    clock.now += 2
    assert switch.mode("like") == "inline"
    assert ssm.reads == 1


def test_requests_that_waited_for_the_first_read_take_its_answer_however_long_it_took() -> None:
    # GIVEN a first read that takes 5 s, longer than the cache period, while a second request waits
    ssm, clock = FakeSsm(like="inline"), Clock()
    switch = modes(ssm, clock)
    reading, answer = threading.Event(), threading.Event()
    quick_get = ssm.get_parameter

    def slow_get(Name: str) -> dict[str, Any]:
        reading.set()
        answer.wait(5)
        clock.now += 5
        return quick_get(Name)

    ssm.get_parameter = slow_get  # type: ignore[method-assign]
    seen: list[str] = []
    first = threading.Thread(target=lambda: seen.append(switch.mode("like")))
    first.start()
    assert reading.wait(5)
    second = threading.Thread(target=lambda: seen.append(switch.mode("like")))
    second.start()
    second.join(0.2)
    answer.set()
    first.join(5)
    second.join(5)

    # THEN both have the mode from the one read: the second did not read again after waiting
    assert seen == ["inline", "inline"]
    assert ssm.reads == 1


def test_an_unreadable_parameter_keeps_the_last_mode() -> None:
    ssm, clock = FakeSsm(like="inline"), Clock()
    switch = modes(ssm, clock)
    assert switch.mode("like") == "inline"

    ssm.failure = EndpointConnectionError(endpoint_url="http://ssm")
    clock.now += 10

    assert switch.mode("like") == "inline"


@pytest.mark.parametrize("value", ["sideways", ""])
def test_a_value_that_is_not_a_mode_keeps_the_environments(value: str) -> None:
    switch = modes(FakeSsm(adopt=value), Clock(), FixedModes(like="queue", adopt="inline"))

    assert switch.mode("adopt") == "inline"


def test_a_missing_parameter_falls_back_to_the_environment() -> None:
    switch = modes(FakeSsm(), Clock(), FixedModes(like="inline", adopt="queue"))

    assert (switch.mode("like"), switch.mode("adopt")) == ("inline", "queue")


def test_without_parameters_the_environment_decides_and_no_ssm_client_is_built() -> None:
    settings = Settings.from_env({"LIKE_MODE": "inline"})

    assert build_modes(settings) == FixedModes(like="inline", adopt="queue")


def test_the_service_asks_the_switch_on_every_request(
    repository: FakeRepository, publisher: RecordingPublisher
) -> None:
    ssm, clock = FakeSsm(like="queue", adopt="queue"), Clock()
    service = MysfitsService(repository, publisher, modes=modes(ssm, clock))
    mysfit_id = next(iter(repository.mysfits))

    assert service.request_like(mysfit_id, "c1").processed is False
    ssm.values["/strangler-switch/mysfits/like"] = "inline"
    clock.now += 5

    assert service.request_like(mysfit_id, "c2").processed is True
    assert len(publisher.events) == 1
    assert service.modes() == {"like": "inline", "adopt": "queue"}


def test_while_one_request_reads_a_stale_switch_the_others_go_on_with_the_mode_they_know() -> None:
    # GIVEN a known mode, expired, and a read of SSM in progress on another thread
    ssm, clock = FakeSsm(like="queue"), Clock()
    switch = modes(ssm, clock)
    assert switch.mode("like") == "queue"
    clock.now += 10
    switch._lock.acquire()  # the other thread's read
    try:
        # WHEN a request asks, THEN it gets the known mode at once, without reading
        assert switch.mode("like") == "queue"
        assert ssm.reads == 1
    finally:
        switch._lock.release()
