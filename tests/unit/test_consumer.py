from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from mysfits_common.consumer import Consumer, ConsumerSettings
from mysfits_common.events import Event, LikeRequested
from mysfits_common.handlers import Busy, EachEvent, Handled, NotAuthorised, PermanentError, TransientError
from mysfits_common.outcomes import Outcome
from tests.factories import sqs_message
from tests.fakes import FakeSqs


def consumer(sqs: FakeSqs, handler: Any, concurrency: int = 10, **settings: Any) -> Consumer:
    """A consumer of a per-event handler, as the adoption worker runs one."""
    stopping = threading.Event()
    handler = EachEvent(handler, concurrency, stopping)
    return Consumer(sqs, ConsumerSettings(queue_url="http://queue", **settings), handler, stopping=stopping)


def processed(event: Event) -> Handled:
    return Handled(Outcome.PROCESSED, "Like processed.")


def test_handled_messages_are_deleted_in_one_batch_and_logged(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    events = [LikeRequested(mysfit_id="m1", correlation_id=f"c{i}") for i in range(3)]
    messages = [sqs_message(e) for e in events]
    sqs = FakeSqs([messages])

    assert consumer(sqs, processed).poll_once() == 3

    assert sorted(sqs.deleted) == sorted(m["ReceiptHandle"] for m in messages)
    assert sqs.visibility == []
    lines = [r for r in caplog.records if r.getMessage() == "Like processed."]
    assert {r.__dict__["eventId"] for r in lines} == {e.event_id for e in events}
    assert {r.__dict__["correlationId"] for r in lines} == {"c0", "c1", "c2"}


@pytest.mark.parametrize("body", ["not json", '{"eventType": "LikeRequested"}'])
def test_a_poison_message_is_left_to_the_redrive_policy_at_once(body: str) -> None:
    poison, good = sqs_message(body), sqs_message(LikeRequested(mysfit_id="m1"))
    sqs = FakeSqs([[poison, good]])

    consumer(sqs, processed).poll_once()

    assert sqs.deleted == [good["ReceiptHandle"]]
    assert sqs.visibility == [(poison["ReceiptHandle"], 0)]


def test_a_permanent_failure_is_not_retried_with_back_off() -> None:
    def refuse(event: Event) -> Handled:
        raise PermanentError("unknown mysfit")

    message = sqs_message(LikeRequested(mysfit_id="m1"), receive_count=3)
    sqs = FakeSqs([[message]])

    consumer(sqs, refuse).poll_once()

    assert sqs.deleted == []
    assert sqs.visibility == [(message["ReceiptHandle"], 0)]


@pytest.mark.parametrize(("receive_count", "delay"), [(1, 2), (2, 4), (4, 16), (20, 300)])
def test_a_transient_failure_backs_off_exponentially(receive_count: int, delay: int) -> None:
    def flaky(event: Event) -> Handled:
        raise TransientError("monolith down")

    message = sqs_message(LikeRequested(mysfit_id="m1"), receive_count=receive_count)
    sqs = FakeSqs([[message]])

    consumer(sqs, flaky).poll_once()

    assert sqs.deleted == []
    assert sqs.visibility == [(message["ReceiptHandle"], delay)]


def test_an_unexpected_error_is_retried_not_fatal() -> None:
    def broken(event: Event) -> Handled:
        raise KeyError("bug")

    message = sqs_message(LikeRequested(mysfit_id="m1"))
    sqs = FakeSqs([[message]])

    consumer(sqs, broken).poll_once()

    assert sqs.visibility == [(message["ReceiptHandle"], 2)]


def test_concurrency_is_bounded_and_used() -> None:
    # Three handlers meet at a barrier: with fewer at once it breaks, with more the peak shows it.
    active, peak, lock = 0, 0, threading.Lock()
    barrier, broken = threading.Barrier(3, timeout=5), []

    def meeting(event: Event) -> Handled:
        nonlocal active, peak
        with lock:
            active += 1
            peak = max(peak, active)
        try:
            barrier.wait()
        except threading.BrokenBarrierError:
            broken.append(event.event_id)
        with lock:
            active -= 1
        return Handled(Outcome.PROCESSED, "ok")

    sqs = FakeSqs([[sqs_message(LikeRequested(mysfit_id="m1")) for _ in range(9)]])

    consumer(sqs, meeting, concurrency=3).poll_once()

    assert (peak, broken) == (3, [])
    assert len(sqs.deleted) == 9


def test_after_stop_unstarted_messages_go_back_at_once_and_in_flight_ones_finish() -> None:
    # GIVEN a consumer with one handler thread, whose first message asks the consumer to stop
    started: list[str] = []
    holder: dict[str, Consumer] = {}

    def handler(event: Event) -> Handled:
        started.append(event.event_id)
        holder["consumer"].stop()
        return Handled(Outcome.PROCESSED, "ok")

    messages = [sqs_message(LikeRequested(mysfit_id="m1")) for _ in range(4)]
    sqs = FakeSqs([messages])
    holder["consumer"] = consumer(sqs, handler, concurrency=1)

    # WHEN the batch is processed
    holder["consumer"].poll_once()

    # THEN the in-flight message completed and the three unstarted ones are visible again
    assert len(started) == 1
    assert sqs.deleted == [messages[0]["ReceiptHandle"]]
    assert sorted(sqs.visibility) == sorted((m["ReceiptHandle"], 0) for m in messages[1:])


class LongPollingSqs(FakeSqs):
    """An empty queue's long poll: receive_message holds its caller until ``answer`` is set, then
    answers with what ``batches`` holds by then (as a message sent during a poll is received)."""

    def __init__(self) -> None:
        super().__init__()
        self.polling = threading.Event()
        self.answer = threading.Event()
        self.returned = threading.Event()

    def receive_message(self, **kwargs: Any) -> dict[str, Any]:
        self.polling.set()
        self.answer.wait(10)
        try:
            return super().receive_message(**kwargs)
        finally:
            self.returned.set()


def test_a_stop_lets_the_long_poll_answer_and_returns_what_it_received_at_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # GIVEN an idle worker in the middle of a 20 s long poll (SQS cannot cancel it: a poll abandoned
    # would still receive a message sent meanwhile and keep it invisible for the visibility timeout)
    caplog.set_level(logging.INFO)
    sqs = LongPollingSqs()
    handled: list[Event] = []

    def handle(event: Event) -> Handled:
        handled.append(event)
        return Handled(Outcome.PROCESSED, "ok")

    loop = consumer(sqs, handle)
    runner = threading.Thread(target=loop.run)
    runner.start()
    assert sqs.polling.wait(5)

    # WHEN it is told to stop, and a message arrives before the poll ends
    loop.stop()
    runner.join(1.0)
    assert runner.is_alive()  # it waits for its poll rather than leaving it open at SQS
    message = sqs_message(LikeRequested(mysfit_id="m1"))
    sqs.batches.append([message])
    sqs.answer.set()

    # THEN the loop returns the message at once, unhandled, before it ends (the process may exit next)
    runner.join(10)
    assert not runner.is_alive()
    assert sqs.visibility == [(message["ReceiptHandle"], 0)]
    assert (handled, sqs.deleted) == ([], [])
    returned = [r for r in caplog.records if r.getMessage() == "Returned unstarted: stopping"]
    assert [getattr(r, "messages", None) for r in returned] == [1]


def test_a_poll_that_never_answers_is_abandoned_after_its_wait_and_what_it_receives_later_goes_back(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # GIVEN a worker whose receive hangs past its wait (a connection that never answers)
    monkeypatch.setattr("mysfits_common.consumer.answer_within", lambda request: 0.2)
    sqs = LongPollingSqs()
    loop = consumer(sqs, processed)
    runner = threading.Thread(target=loop.run)
    runner.start()
    assert sqs.polling.wait(5)

    # WHEN it is told to stop, THEN it ends once the poll's time is up, the poll still unanswered
    loop.stop()
    runner.join(5)
    assert not runner.is_alive()
    assert not sqs.returned.is_set()

    # AND a message the poll then receives goes back to the queue at once
    message = sqs_message(LikeRequested(mysfit_id="m1"))
    sqs.batches.append([message])
    sqs.answer.set()
    deadline = time.monotonic() + 5
    while not sqs.visibility and time.monotonic() < deadline:
        time.sleep(0.01)
    assert sqs.visibility == [(message["ReceiptHandle"], 0)]
    assert sqs.deleted == []


class FailingSqs(FakeSqs):
    """A queue whose receives fail with ``errors``, one per receive, then answer as FakeSqs does."""

    def __init__(self, errors: list[Exception], batches: list[list[dict[str, Any]]]) -> None:
        super().__init__(batches)
        self.errors = errors

    def receive_message(self, **kwargs: Any) -> dict[str, Any]:
        if self.errors:
            raise self.errors.pop(0)
        return super().receive_message(**kwargs)


def test_a_failed_receive_is_logged_and_polling_goes_on(caplog: pytest.LogCaptureFixture) -> None:
    # GIVEN a queue whose first receive fails (SQS throttling) and whose second holds a message
    caplog.set_level(logging.INFO)
    message = sqs_message(LikeRequested(mysfit_id="m1"))
    throttled = ClientError({"Error": {"Code": "ThrottlingException", "Message": "slow down"}}, "ReceiveMessage")
    sqs = FailingSqs([throttled], [[message]])
    handled: list[Event] = []

    def handle(event: Event) -> Handled:
        handled.append(event)
        loop.stop()
        return Handled(Outcome.PROCESSED, "ok")

    loop = consumer(sqs, handle, idle_pause_seconds=0.01)
    runner = threading.Thread(target=loop.run)

    # WHEN the worker runs
    runner.start()
    runner.join(10)

    # THEN the failure is logged, and the next receive's message is handled and deleted
    assert not runner.is_alive()
    assert any(r.getMessage() == "Receive failed; retrying" for r in caplog.records)
    assert len(handled) == 1
    assert sqs.deleted == [message["ReceiptHandle"]]


def test_a_receive_that_fails_unexpectedly_ends_the_loop_with_its_error() -> None:
    # A bug is not retried for ever in silence: the worker exits and its supervisor (ECS) restarts it.
    sqs = FailingSqs([RuntimeError("a bug in the receive")], [])
    with pytest.raises(RuntimeError, match="a bug in the receive"):
        consumer(sqs, processed).run()


def test_the_heartbeat_keeps_a_slow_message_invisible() -> None:
    release = threading.Event()

    def slow(event: Event) -> Handled:
        release.wait(5)
        return Handled(Outcome.PROCESSED, "ok")

    message = sqs_message(LikeRequested(mysfit_id="m1"))
    sqs = FakeSqs([[message]])
    loop = consumer(sqs, slow, heartbeat_seconds=0.05, visibility_timeout=30)
    runner = threading.Thread(target=loop.run)
    runner.start()
    try:
        deadline = time.monotonic() + 5
        while (message["ReceiptHandle"], 30) not in sqs.visibility and time.monotonic() < deadline:
            time.sleep(0.02)
    finally:
        release.set()
        loop.stop()
        runner.join(10)

    assert (message["ReceiptHandle"], 30) in sqs.visibility
    assert sqs.deleted == [message["ReceiptHandle"]]
    assert not runner.is_alive()


def test_whole_batches_failing_transiently_pause_polling_until_one_succeeds() -> None:
    healthy = False

    def monolith(event: Event) -> Handled:
        if not healthy:
            raise TransientError("monolith down")
        return Handled(Outcome.PROCESSED, "ok")

    batches = [[sqs_message(LikeRequested(mysfit_id="m1"))] for _ in range(3)]
    sqs = FakeSqs(batches)
    loop = consumer(sqs, monolith, backoff_base_seconds=2)

    loop.poll_once()
    assert loop.pause_seconds == 2
    loop.poll_once()
    assert loop.pause_seconds == 4

    healthy = True
    loop.poll_once()
    assert loop.pause_seconds == 0


def test_poison_alone_does_not_pause_polling() -> None:
    sqs = FakeSqs([[sqs_message("not json")]])
    loop = consumer(sqs, processed)

    loop.poll_once()

    assert loop.pause_seconds == 0


def test_a_batch_handler_gets_the_valid_events_in_one_call_and_each_message_is_settled() -> None:
    calls: list[list[str]] = []
    good, refused, flaky = (LikeRequested(mysfit_id=m) for m in ("good", "refused", "flaky"))

    def batch(events: list[Event]) -> dict[str, Handled | Exception]:
        calls.append([event.event_id for event in events])
        return {
            good.event_id: Handled(Outcome.PROCESSED, "Like processed."),
            refused.event_id: PermanentError("unknown mysfit"),
            flaky.event_id: TransientError("monolith down"),
        }

    messages = [sqs_message(good), sqs_message("poison"), sqs_message(refused), sqs_message(flaky)]
    sqs = FakeSqs([messages])
    loop = Consumer(sqs, ConsumerSettings(queue_url="http://queue"), batch)

    loop.poll_once()

    assert calls == [[good.event_id, refused.event_id, flaky.event_id]]
    assert sqs.deleted == [messages[0]["ReceiptHandle"]]
    assert sorted(sqs.visibility) == sorted(
        [(messages[1]["ReceiptHandle"], 0), (messages[2]["ReceiptHandle"], 0), (messages[3]["ReceiptHandle"], 2)]
    )


def test_a_batch_handler_that_fails_as_a_whole_retries_every_message() -> None:
    def down(events: list[Event]) -> dict[str, Handled | Exception]:
        raise TransientError("monolith down")

    messages = [sqs_message(LikeRequested(mysfit_id="m1")) for _ in range(3)]
    sqs = FakeSqs([messages])
    loop = Consumer(sqs, ConsumerSettings(queue_url="http://queue"), down)

    loop.poll_once()

    assert sqs.deleted == []
    assert sorted(sqs.visibility) == sorted((m["ReceiptHandle"], 2) for m in messages)
    assert loop.pause_seconds == 2


class SlowHeartbeatSqs(FakeSqs):
    """Its extensions to the full visibility timeout (the heartbeat's) take a while to land."""

    def __init__(self, batches: list[list[dict[str, Any]]], heartbeat_visibility: int) -> None:
        super().__init__(batches)
        self.heartbeat_visibility = heartbeat_visibility
        self.heartbeat_calls = threading.Event()

    def change_message_visibility_batch(self, QueueUrl: str, Entries: list[dict[str, Any]]) -> dict[str, Any]:
        if all(entry["VisibilityTimeout"] == self.heartbeat_visibility for entry in Entries):
            self.heartbeat_calls.set()
            time.sleep(0.3)
        return super().change_message_visibility_batch(QueueUrl, Entries)


def test_an_extension_in_flight_never_lands_after_the_back_off() -> None:
    # GIVEN a heartbeat whose extension is slow, and a handler that fails while it is in flight
    message = sqs_message(LikeRequested(mysfit_id="m1"))
    sqs = SlowHeartbeatSqs([[message]], heartbeat_visibility=30)

    def fails_during_the_extension(event: Event) -> Handled:
        assert sqs.heartbeat_calls.wait(5)
        raise TransientError("the monolith is down")

    loop = consumer(sqs, fails_during_the_extension, heartbeat_seconds=0.02, visibility_timeout=30)
    runner = threading.Thread(target=loop.run)

    # WHEN it is handled
    runner.start()
    try:
        deadline = time.monotonic() + 5
        while not any(seconds != 30 for _, seconds in sqs.visibility) and time.monotonic() < deadline:
            time.sleep(0.02)
        time.sleep(0.4)  # long enough for a late extension to land
    finally:
        loop.stop()
        runner.join(10)

    # THEN the back-off is the last word on the message's visibility, not the heartbeat's 30 s
    mine = [seconds for handle, seconds in sqs.visibility if handle == message["ReceiptHandle"]]
    assert mine and mine[-1] == 2, mine


def test_a_visibility_change_the_queue_refuses_is_logged(caplog: pytest.LogCaptureFixture) -> None:
    class RefusingSqs(FakeSqs):
        def change_message_visibility_batch(self, QueueUrl: str, Entries: list[dict[str, Any]]) -> dict[str, Any]:
            return {"Successful": [], "Failed": [{"Id": e["Id"], "Code": "ReceiptHandleIsInvalid"} for e in Entries]}

    message = sqs_message(LikeRequested(mysfit_id="m1"))

    def fails(event: Event) -> Handled:
        raise TransientError("down")

    consumer(RefusingSqs([[message]]), fails).poll_once()

    refused = [r for r in caplog.records if r.getMessage() == "Visibility change refused"]
    assert refused and refused[0].__dict__["failures"][0]["Code"] == "ReceiptHandleIsInvalid"


def test_a_worker_started_with_a_refused_secret_receives_nothing_until_it_is_authorised(tmp_path: Path) -> None:
    # GIVEN two batches, and a monolith that refuses the worker's secret until it is rotated
    first, second = sqs_message(LikeRequested(mysfit_id="m1")), sqs_message(LikeRequested(mysfit_id="m2"))
    sqs = FakeSqs([[first], [second]])
    rotated = threading.Event()
    health = tmp_path / "health"
    loop = Consumer(
        sqs,
        ConsumerSettings(queue_url="http://queue", auth_retry_seconds=0.05, health_file=str(health)),
        EachEvent(processed),
        authorised=rotated.is_set,
    )
    runner = threading.Thread(target=loop.run)

    # WHEN it starts with the wrong secret
    runner.start()
    try:
        wait_until(lambda: health.exists() and "not authorised" in health.read_text())
        time.sleep(0.3)

        # THEN it received nothing (no message was charged a receive), and its health file says why
        assert loop.not_authorised is not None
        assert sqs.batches == [[first], [second]]
        assert (sqs.visibility, sqs.deleted) == ([], [])

        # WHEN the secret is right again, THEN it receives, and the health file is clear
        rotated.set()
        wait_until(lambda: len(sqs.deleted) == 2)
    finally:
        loop.stop()
        runner.join(10)
    assert sqs.deleted == [first["ReceiptHandle"], second["ReceiptHandle"]]
    assert loop.not_authorised is None
    assert health.read_text() == ""


@pytest.mark.parametrize("answer", ["no answer", "a 503"])
def test_a_worker_whose_authorisation_cannot_be_confirmed_receives_nothing_and_stays_healthy(
    tmp_path: Path, answer: str
) -> None:
    # GIVEN a monolith that cannot be asked yet (starting up, or a proxy answering 503)
    sqs = FakeSqs([[sqs_message(LikeRequested(mysfit_id="m1"))]])
    health = tmp_path / "health"
    probes: list[str] = []

    def authorised() -> bool:
        probes.append(answer)
        raise TransientError(f"the authorisation probe got {answer}")

    loop = Consumer(
        sqs,
        ConsumerSettings(queue_url="http://queue", idle_pause_seconds=0.05, health_file=str(health)),
        EachEvent(processed),
        authorised=authorised,
    )
    runner = threading.Thread(target=loop.run)
    runner.start()
    try:
        wait_until(lambda: len(probes) >= 3)
    finally:
        loop.stop()
        runner.join(10)

    # THEN it kept asking, received nothing, and its health check passes: a new task would fare no better
    assert len(sqs.batches) == 1
    assert health.read_text() == ""


def test_a_secret_refused_while_running_stops_receiving_until_it_is_authorised_again(tmp_path: Path) -> None:
    # GIVEN a worker authorised at start, whose secret is then rotated at the monolith only
    first, second = sqs_message(LikeRequested(mysfit_id="m1")), sqs_message(LikeRequested(mysfit_id="m2"))
    sqs = FakeSqs([[first], [second]])
    rotated = threading.Event()
    started = threading.Event()
    health = tmp_path / "health"

    def fulfil(event: Event) -> Handled:
        if not rotated.is_set():
            raise NotAuthorised("the monolith answered 401")
        return Handled(Outcome.PROCESSED, "Like processed.")

    def authorised() -> bool:
        first_probe = not started.is_set()
        started.set()
        return first_probe or rotated.is_set()

    loop = Consumer(
        sqs,
        ConsumerSettings(queue_url="http://queue", auth_retry_seconds=0.05, health_file=str(health)),
        EachEvent(fulfil),
        authorised=authorised,
    )
    runner = threading.Thread(target=loop.run)
    runner.start()
    try:
        wait_until(lambda: loop.not_authorised is not None)
        time.sleep(0.3)

        # THEN it stops receiving (the second batch stays in the queue), keeps the first one's message
        # invisible for a back-off instead of returning it, and its health file says why
        assert sqs.batches == [[second]]
        assert sqs.visibility == [(first["ReceiptHandle"], 2)]
        assert sqs.deleted == []
        assert "not authorised" in health.read_text()

        # WHEN the secret is right again, THEN it resumes and the health file is clear
        rotated.set()
        wait_until(lambda: sqs.deleted == [second["ReceiptHandle"]])
    finally:
        loop.stop()
        runner.join(10)
    assert sqs.deleted == [second["ReceiptHandle"]]
    assert loop.not_authorised is None
    assert health.read_text() == ""


def wait_until(condition: Callable[[], bool]) -> None:
    """A hang guard, not a speed check."""
    deadline = time.monotonic() + 10
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.01)
    assert condition()


def test_a_busy_item_is_retried_while_its_message_is_held_and_spends_no_receive() -> None:
    # GIVEN an item busy for the first two attempts (other writers), and a poison neighbour
    busy_message = sqs_message(LikeRequested(mysfit_id="hot"))
    sqs = FakeSqs([[busy_message, {"MessageId": "p", "ReceiptHandle": "rh-p", "Body": "not json"}]])
    attempts: list[str] = []

    def fulfil(event: Event) -> Handled:
        attempts.append(event.mysfit_id)
        if len(attempts) <= 2:
            raise Busy("the mysfit's item was busy; nothing was written")
        return Handled(Outcome.PROCESSED, "Like processed.")

    loop = consumer(sqs, fulfil, busy_pause_seconds=0.01)

    # WHEN the worker handles the batch
    loop.poll_once()

    # THEN it tried again until the item was free, and deleted the message: it never went back to the queue
    assert attempts == ["hot", "hot", "hot"]
    assert sqs.deleted == [busy_message["ReceiptHandle"]]
    assert sqs.visibility == [("rh-p", 0)]


def test_an_item_busy_for_longer_than_the_worker_retries_is_backed_off_as_transient() -> None:
    message = sqs_message(LikeRequested(mysfit_id="hot"))
    sqs = FakeSqs([[message]])

    def fulfil(event: Event) -> Handled:
        raise Busy("still busy")

    consumer(sqs, fulfil, busy_pause_seconds=0.01, busy_retry_seconds=0.1).poll_once()

    assert sqs.deleted == []
    assert sqs.visibility == [(message["ReceiptHandle"], 2)]


class FailingDeleteSqs(FakeSqs):
    def delete_message_batch(self, QueueUrl: str, Entries: list[dict[str, Any]]) -> dict[str, Any]:
        raise ClientError({"Error": {"Code": "InternalError", "Message": "try again"}}, "DeleteMessageBatch")


def test_a_failed_delete_does_not_skip_the_batchs_visibility_changes(caplog: pytest.LogCaptureFixture) -> None:
    # GIVEN a batch of one good message and one poison message, and an SQS failing the delete
    good = sqs_message(LikeRequested(mysfit_id="m1"))
    sqs = FailingDeleteSqs([[good, {"MessageId": "p", "ReceiptHandle": "rh-p", "Body": "not json"}]])

    consumer(sqs, processed).poll_once()

    # THEN the poison message is still returned at once, for the redrive policy, and the failure logged
    assert sqs.visibility == [("rh-p", 0)]
    assert "Delete failed" in caplog.text


class BacklogSqs(FakeSqs):
    """A queue with a backlog: long polls and the prefetch's short polls alike take the next batch."""

    def __init__(self, batches: list[list[dict[str, Any]]]) -> None:
        super().__init__(batches)
        self.waits: list[int] = []

    def receive_message(self, **kwargs: Any) -> dict[str, Any]:
        with self.lock:
            self.waits.append(kwargs["WaitTimeSeconds"])
            return {"Messages": self.batches.pop(0)} if self.batches else {}


def gathering(sqs: FakeSqs, handle: Callable[[list[Event]], dict[str, Handled | Exception]]) -> Consumer:
    """A consumer loop that gathers up to 88 messages a call, as the like worker's."""
    return Consumer(sqs, ConsumerSettings(queue_url="http://queue", gather_max=88), handle)


def run_until_stopped(loop: Consumer) -> threading.Thread:
    """Run the loop on a thread until its handler stops it (10 s at most); the thread, to check it ended."""
    runner = threading.Thread(target=loop.run)
    runner.start()
    runner.join(10)
    return runner


def full_batches(count: int, size: int = 10) -> list[list[dict[str, Any]]]:
    return [[sqs_message(LikeRequested(mysfit_id=f"m{b}")) for _ in range(size)] for b in range(count)]


def test_under_a_backlog_receives_overlap_the_handling_and_the_next_call_gets_all_they_gathered() -> None:
    # GIVEN a backlog of four full receives and then a partial one, and a handler slow on its first call
    batches = [*full_batches(4), [sqs_message(LikeRequested(mysfit_id="last"))]]
    sqs = BacklogSqs(batches)
    sizes: list[int] = []
    first_call = threading.Event()

    def handle(events: list[Event]) -> dict[str, Handled | Exception]:
        sizes.append(len(events))
        if not first_call.is_set():
            first_call.set()
            wait_until(lambda: not sqs.batches)  # the prefetch takes the rest meanwhile
        if sum(sizes) == 41:
            loop.stop()
        return {event.event_id: Handled(Outcome.PROCESSED, "ok") for event in events}

    loop = gathering(sqs, handle)
    runner = run_until_stopped(loop)

    # THEN the first receive went alone, the rest in one call, each message deleted once, none returned
    assert not runner.is_alive()
    assert sizes == [10, 31]
    assert sorted(sqs.deleted) == sorted(m["ReceiptHandle"] for batch in batches for m in batch)
    assert sqs.visibility == []
    assert sqs.waits[0] == 20 and set(sqs.waits[1:5]) == {0}  # the prefetch never long-polls


class CountingBacklogSqs(BacklogSqs):
    """A backlog of single messages: each receive takes as many as it asks for."""

    def __init__(self, count: int) -> None:
        super().__init__([])
        self.backlog = [sqs_message(LikeRequested(mysfit_id=f"m{n % 12}")) for n in range(count)]
        self.asked: list[int] = []

    def receive_message(self, **kwargs: Any) -> dict[str, Any]:
        with self.lock:
            self.waits.append(kwargs["WaitTimeSeconds"])
            self.asked.append(kwargs["MaxNumberOfMessages"])
            count = kwargs["MaxNumberOfMessages"]
            taken, self.backlog = self.backlog[:count], self.backlog[count:]
            return {"Messages": taken} if taken else {}


def test_the_prefetch_fills_a_call_to_its_limit_asking_the_last_receive_for_what_is_left() -> None:
    # GIVEN a backlog of 200 likes, a limit of 88 a call, and a handler slow on its first call
    sqs = CountingBacklogSqs(200)
    sizes: list[int] = []

    def handle(events: list[Event]) -> dict[str, Handled | Exception]:
        sizes.append(len(events))
        if len(sizes) == 1:
            wait_until(lambda: len(sqs.asked) >= 10)  # the prefetch stops at its limit meanwhile
        if len(sizes) == 2:
            loop.stop()
        return {event.event_id: Handled(Outcome.PROCESSED, "ok") for event in events}

    loop = gathering(sqs, handle)
    runner = run_until_stopped(loop)

    # THEN the second call holds 88 likes (a transaction's worth with the 12 mysfits), not 80
    assert not runner.is_alive()
    assert sizes[:2] == [10, 88]
    assert sqs.asked[1:10] == [10] * 8 + [8]


def test_a_receive_that_is_not_full_is_handled_at_once_without_a_prefetch() -> None:
    sqs = BacklogSqs([[sqs_message(LikeRequested(mysfit_id="alone"))]])
    sizes: list[int] = []

    def handle(events: list[Event]) -> dict[str, Handled | Exception]:
        sizes.append(len(events))
        loop.stop()
        return {event.event_id: Handled(Outcome.PROCESSED, "ok") for event in events}

    loop = gathering(sqs, handle)
    run_until_stopped(loop)

    assert sizes == [1]
    assert sqs.waits == [20]


def test_what_the_prefetch_gathered_goes_back_unstarted_at_a_stop() -> None:
    # GIVEN a backlog, and a stop that comes while the first batch is being handled
    batches = full_batches(3)
    sqs = BacklogSqs(batches)

    def handle(events: list[Event]) -> dict[str, Handled | Exception]:
        wait_until(lambda: not sqs.batches)
        loop.stop()
        return {event.event_id: Handled(Outcome.PROCESSED, "ok") for event in events}

    loop = gathering(sqs, handle)
    run_until_stopped(loop)

    # THEN the first batch is done, the twenty prefetched messages are visible again at once
    assert sorted(sqs.deleted) == sorted(m["ReceiptHandle"] for m in batches[0])
    assert sorted(sqs.visibility) == sorted((m["ReceiptHandle"], 0) for batch in batches[1:] for m in batch)
