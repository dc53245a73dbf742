"""The publish batcher: concurrent publishes share a batch, each caller gets its own result."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor

import pytest

from mysfits_common.events import LikeRequested
from mysfits_common.publish_batcher import BatchingPublisher
from mysfits_common.publisher import PublishError
from tests.fakes import GatedBatchPublisher

# Long enough that a test relying on a linger would visibly hang, never long enough to matter otherwise.
AN_HOUR = 3600.0
HANG_GUARD_SECONDS = 30


@pytest.fixture
def pool() -> Iterator[ThreadPoolExecutor]:
    with ThreadPoolExecutor(max_workers=20) as executor:
        yield executor


@pytest.fixture
def target(pool: ThreadPoolExecutor) -> Iterator[GatedBatchPublisher]:
    target = GatedBatchPublisher()
    yield target
    target.gate.set()  # a test that failed with a batch held must not leave its threads waiting


def wait_for(condition: Callable[[], bool]) -> None:
    """Until the batcher reaches the state a test sets up; a hang guard, not a speed check."""
    deadline = time.monotonic() + HANG_GUARD_SECONDS
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.005)
    assert condition(), "the batcher never reached the expected state"


def hold_first_batch(batcher: BatchingPublisher, target: GatedBatchPublisher, pool: ThreadPoolExecutor) -> Future[None]:
    """One publish sent and held at the gate, so that the next ones queue up behind it."""
    target.gate.clear()
    first = pool.submit(batcher.publish, LikeRequested(mysfit_id="first"))
    assert target.entered.acquire(timeout=HANG_GUARD_SECONDS)
    return first


def queue_up(
    batcher: BatchingPublisher, pool: ThreadPoolExecutor, events: list[LikeRequested]
) -> list[Future[None]]:
    futures = [pool.submit(batcher.publish, event) for event in events]
    wait_for(lambda: batcher.waiting == len(events))
    return futures


def test_a_publish_alone_is_sent_at_once_without_lingering(target: GatedBatchPublisher) -> None:
    # GIVEN a linger of an hour
    batcher = BatchingPublisher(target, linger_seconds=AN_HOUR)
    event = LikeRequested(mysfit_id="abc")

    # WHEN one request publishes, alone
    finished = threading.Thread(target=batcher.publish, args=(event,))
    finished.start()
    finished.join(HANG_GUARD_SECONDS)

    # THEN it was answered (it did not wait out the linger), in a batch of its own
    assert not finished.is_alive()
    assert target.batches == [[event]]
    batcher.close()


def test_requests_waiting_together_share_one_batch_of_at_most_ten(
    target: GatedBatchPublisher, pool: ThreadPoolExecutor
) -> None:
    batcher = BatchingPublisher(target, linger_seconds=AN_HOUR, stall_seconds=AN_HOUR)
    first = hold_first_batch(batcher, target, pool)
    events = [LikeRequested(mysfit_id=f"m{index}") for index in range(11)]
    futures = queue_up(batcher, pool, events)

    target.gate.set()

    for future in [first, *futures]:
        future.result(HANG_GUARD_SECONDS)
    assert [len(batch) for batch in target.batches] == [1, 10, 1]
    # every event once; the order is the order their threads reached the batcher, not their submission's
    sent = [event for batch in target.batches[1:] for event in batch]
    assert sorted(sent, key=lambda event: event.mysfit_id) == sorted(events, key=lambda event: event.mysfit_id)
    batcher.close()


def test_each_caller_gets_its_own_entrys_result_when_entries_of_a_batch_fail(
    target: GatedBatchPublisher, pool: ThreadPoolExecutor
) -> None:
    # GIVEN a batch in which SNS refuses the entries of one mysfit only
    target.failing = {"refused"}
    batcher = BatchingPublisher(target, linger_seconds=0, stall_seconds=AN_HOUR)
    first = hold_first_batch(batcher, target, pool)
    events = [LikeRequested(mysfit_id=mysfit_id) for mysfit_id in ("ok1", "refused", "ok2", "refused")]
    futures = queue_up(batcher, pool, events)

    # WHEN the batch is answered
    target.gate.set()
    first.result(HANG_GUARD_SECONDS)

    # THEN the refused entries' callers get PublishError, their neighbours succeed
    assert len(target.batches[1]) == 4
    outcomes = [future.exception(HANG_GUARD_SECONDS) for future in futures]
    assert [type(outcome) for outcome in outcomes] == [type(None), PublishError, type(None), PublishError]
    batcher.close()


def test_a_batch_call_that_fails_fails_every_caller_in_it(
    target: GatedBatchPublisher, pool: ThreadPoolExecutor
) -> None:
    batcher = BatchingPublisher(target, linger_seconds=0, stall_seconds=AN_HOUR)
    first = hold_first_batch(batcher, target, pool)
    futures = queue_up(batcher, pool, [LikeRequested(mysfit_id=f"m{index}") for index in range(3)])
    target.down = True

    target.gate.set()

    for future in [first, *futures]:
        assert isinstance(future.exception(HANG_GUARD_SECONDS), PublishError)
    batcher.close()


def test_close_sends_every_event_still_waiting_and_later_publishes_still_go_out(
    target: GatedBatchPublisher, pool: ThreadPoolExecutor
) -> None:
    # GIVEN a batch in flight and fifteen requests waiting behind it
    batcher = BatchingPublisher(target, linger_seconds=AN_HOUR, stall_seconds=AN_HOUR)
    first = hold_first_batch(batcher, target, pool)
    events = [LikeRequested(mysfit_id=f"m{index}") for index in range(15)]
    futures = queue_up(batcher, pool, events)

    # WHEN the process shuts down (gunicorn's worker_exit) while they wait
    closing = pool.submit(batcher.close)
    target.gate.set()
    closing.result(HANG_GUARD_SECONDS)

    # THEN none was dropped: each was published once and its caller answered
    for future in [first, *futures]:
        future.result(HANG_GUARD_SECONDS)
    assert sorted(e.event_id for e in target.published) == sorted(e.event_id for e in [*events, first_event(target)])
    assert all(len(batch) <= 10 for batch in target.batches)

    # AND a publish after close is sent by its caller rather than refused
    late = LikeRequested(mysfit_id="late")
    batcher.publish(late)
    assert target.batches[-1] == [late]
    assert target.senders[-1] == threading.get_ident()


def first_event(target: GatedBatchPublisher) -> LikeRequested:
    """The event hold_first_batch sent (while closing, batches may reach SNS in any order)."""
    (event,) = [event for batch in target.batches for event in batch if event.mysfit_id == "first"]
    assert isinstance(event, LikeRequested)
    return event


def test_a_forked_process_sends_from_a_thread_of_its_own(
    target: GatedBatchPublisher, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN a batcher whose sending thread ran in the parent and is gone (a thread does not survive a fork)
    batcher = BatchingPublisher(target, linger_seconds=0)
    batcher.publish(LikeRequested(mysfit_id="parent"))
    batcher.close()

    # WHEN it is used in a child (a gunicorn worker forked after the app was built)
    child_pid = os.getpid() + 1
    monkeypatch.setattr(os, "getpid", lambda: child_pid)
    batcher.publish(LikeRequested(mysfit_id="child"))

    # THEN the child started a sending thread of its own: the event was not sent by its caller
    assert target.senders[-1] != threading.get_ident()
    assert any(thread.name == "publish-batcher" and thread.is_alive() for thread in threading.enumerate())
    batcher.close()


def test_an_invalid_batch_size_is_refused(target: GatedBatchPublisher) -> None:
    with pytest.raises(ValueError, match="max_entries"):
        BatchingPublisher(target, max_entries=11)


def test_a_batch_stalled_at_sns_does_not_hold_up_the_next_one(
    target: GatedBatchPublisher, pool: ThreadPoolExecutor
) -> None:
    # GIVEN a first batch that SNS does not answer
    batcher = BatchingPublisher(target, linger_seconds=0, stall_seconds=0.05)
    first = hold_first_batch(batcher, target, pool)

    # WHEN another request publishes while it hangs
    second = pool.submit(batcher.publish, LikeRequested(mysfit_id="second"))

    # THEN its batch goes out beside the stalled one, rather than waiting for its answer
    assert target.entered.acquire(timeout=HANG_GUARD_SECONDS)
    target.gate.set()
    first.result(HANG_GUARD_SECONDS)
    second.result(HANG_GUARD_SECONDS)
    assert sorted(len(batch) for batch in target.batches) == [1, 1]
    batcher.close()


def test_a_caller_whose_budget_ends_before_its_event_is_sent_gets_publish_error_and_it_is_never_sent(
    target: GatedBatchPublisher, pool: ThreadPoolExecutor
) -> None:
    # GIVEN one batch in flight at an SNS that hangs, and no other batch allowed beside it
    batcher = BatchingPublisher(target, linger_seconds=0, max_in_flight=1)
    first = hold_first_batch(batcher, target, pool)
    late = LikeRequested(mysfit_id="late")

    # WHEN a request's budget of 0.2 s ends while its event still waits
    with pytest.raises(PublishError, match="was not sent"):
        batcher.publish(late, timeout=0.2)

    # THEN it left the queue: once SNS answers again, only the first batch was published
    target.gate.set()
    first.result(HANG_GUARD_SECONDS)
    batcher.close()
    assert late.event_id not in {event.event_id for event in target.published}


def test_a_caller_whose_batch_is_in_flight_when_its_budget_ends_hears_that_it_may_be_published(
    target: GatedBatchPublisher, pool: ThreadPoolExecutor
) -> None:
    batcher = BatchingPublisher(target, linger_seconds=0)
    target.gate.clear()

    with pytest.raises(PublishError, match="may still be published"):
        batcher.publish(LikeRequested(mysfit_id="slow"), timeout=0.2)

    target.gate.set()
    batcher.close()
    assert [event.mysfit_id for event in target.published] == ["slow"]
