from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest

from adopt_worker.handler import AdoptionHandler
from like_worker.handler import LikeHandler
from mysfits_common.events import AdoptionRequested, Event, LikeRequested
from mysfits_common.handlers import Handled, PermanentError, TransientError
from mysfits_common.outcomes import Outcome
from tests.fakes import FakeMonolith, first_mysfit


def like_one(handler: LikeHandler, event: Event) -> Handled:
    """What the like handler did for a batch of one event; its failure raised."""
    result = handler([event])[event.event_id]
    if isinstance(result, Exception):
        raise result
    return result


@pytest.fixture
def monolith() -> FakeMonolith:
    return FakeMonolith()


def test_a_like_is_fulfilled_and_logged_as_processed(monolith: FakeMonolith) -> None:
    mysfit = first_mysfit(monolith.repository)

    handled = like_one(LikeHandler(monolith), LikeRequested(mysfit_id=mysfit.mysfit_id))

    assert handled.message == "Like processed."
    assert handled.outcome is Outcome.PROCESSED
    assert monolith.repository.mysfits[mysfit.mysfit_id].likes == 1


def test_the_same_like_delivered_twice_counts_once(monolith: FakeMonolith) -> None:
    mysfit = first_mysfit(monolith.repository)
    event = LikeRequested(mysfit_id=mysfit.mysfit_id)
    handler = LikeHandler(monolith)

    like_one(handler, event)
    handled = like_one(handler, event)

    assert handled.outcome is Outcome.DUPLICATE
    assert monolith.repository.mysfits[mysfit.mysfit_id].likes == 1


def test_the_like_handler_looks_a_mysfit_up_once(monolith: FakeMonolith) -> None:
    mysfit = first_mysfit(monolith.repository)
    handler = LikeHandler(monolith)

    for _ in range(10):
        like_one(handler, LikeRequested(mysfit_id=mysfit.mysfit_id))

    assert monolith.lookups == 1


def test_a_like_for_an_unknown_mysfit_is_permanent(monolith: FakeMonolith) -> None:
    with pytest.raises(PermanentError):
        like_one(LikeHandler(monolith), LikeRequested(mysfit_id="ghost"))

    assert monolith.fulfilled == []


def test_each_worker_refuses_the_other_event_type(monolith: FakeMonolith) -> None:
    mysfit = first_mysfit(monolith.repository)

    with pytest.raises(PermanentError):
        like_one(LikeHandler(monolith), AdoptionRequested(mysfit_id=mysfit.mysfit_id))
    with pytest.raises(PermanentError):
        AdoptionHandler(monolith)(LikeRequested(mysfit_id=mysfit.mysfit_id))


def test_of_two_adoptions_the_first_wins_and_the_second_is_rejected(monolith: FakeMonolith) -> None:
    mysfit = first_mysfit(monolith.repository)
    handler = AdoptionHandler(monolith)
    first, second = AdoptionRequested(mysfit_id=mysfit.mysfit_id), AdoptionRequested(mysfit_id=mysfit.mysfit_id)

    assert handler(first).message == "Adoption processed."
    assert handler(second).outcome is Outcome.REJECTED
    assert handler(first).outcome is Outcome.DUPLICATE  # the winner redelivered is still the winner
    assert monolith.repository.mysfits[mysfit.mysfit_id].adopted


def test_adopting_an_unknown_mysfit_is_permanent(monolith: FakeMonolith) -> None:
    with pytest.raises(PermanentError):
        AdoptionHandler(monolith)(AdoptionRequested(mysfit_id="ghost"))


def test_a_batch_of_likes_goes_to_the_monolith_in_one_call(monolith: FakeMonolith) -> None:
    mysfits = list(monolith.repository.mysfits.values())[:2]
    events = [LikeRequested(mysfit_id=m.mysfit_id) for m in mysfits for _ in range(3)]
    ghost = LikeRequested(mysfit_id="ghost")

    results = LikeHandler(monolith)([*events, ghost])

    outcomes = [results[e.event_id] for e in events]
    assert all(isinstance(o, Handled) and o.message == "Like processed." for o in outcomes)
    assert isinstance(results[ghost.event_id], PermanentError)
    assert [action for action, _ in monolith.fulfilled] == ["likes"] * len(events)
    assert all(monolith.repository.mysfits[m.mysfit_id].likes == 3 for m in mysfits)


def test_a_corrupt_mysfit_fails_only_its_own_likes_and_they_go_to_the_dlq(monolith: FakeMonolith) -> None:
    # GIVEN a batch mixing likes of a healthy mysfit and of one whose item cannot take a like
    healthy, corrupt = list(monolith.repository.mysfits)[:2]
    monolith.repository.corrupt.add(corrupt)
    good = [LikeRequested(mysfit_id=healthy) for _ in range(4)]
    bad = [LikeRequested(mysfit_id=corrupt) for _ in range(2)]

    # WHEN it is handled
    results = LikeHandler(monolith)([bad[0], *good, bad[1]])

    # THEN the healthy likes are processed; the corrupt ones are permanent failures (DLQ, no pause)
    assert all(isinstance(results[e.event_id], Handled) for e in good)
    assert all(isinstance(results[e.event_id], PermanentError) for e in bad)
    assert (monolith.repository.mysfits[healthy].likes, monolith.repository.mysfits[corrupt].likes) == (4, 0)


def test_a_busy_item_leaves_its_like_to_be_delivered_again(monolith: FakeMonolith) -> None:
    # GIVEN a batch holding a like of a mysfit whose item is busy (a conflict, throttling)
    busy, other = list(monolith.repository.mysfits)[:2]
    monolith.repository.busy.add(busy)
    like, neighbour = LikeRequested(mysfit_id=busy), LikeRequested(mysfit_id=other)
    handler = LikeHandler(monolith)

    # WHEN it is handled
    results = handler([like, neighbour])

    # THEN that like is transient (it stays in the queue) and its neighbour counts
    assert isinstance(results[like.event_id], TransientError)
    assert isinstance(results[neighbour.event_id], Handled)
    assert monolith.repository.mysfits[busy].likes == 0

    # WHEN the item is free again and the like is delivered again, THEN it counts, once
    monolith.repository.busy.clear()
    assert like_one(handler, like).outcome is Outcome.PROCESSED
    assert monolith.repository.mysfits[busy].likes == 1


def test_a_busy_item_leaves_an_adoption_to_be_delivered_again(monolith: FakeMonolith) -> None:
    mysfit_id = first_mysfit(monolith.repository).mysfit_id
    monolith.repository.busy.add(mysfit_id)
    event = AdoptionRequested(mysfit_id=mysfit_id)

    with pytest.raises(TransientError):
        AdoptionHandler(monolith)(event)
    monolith.repository.busy.clear()

    assert AdoptionHandler(monolith)(event).outcome is Outcome.PROCESSED


def test_while_dynamodb_is_down_a_batch_of_likes_is_transient_as_a_whole(monolith: FakeMonolith) -> None:
    # GIVEN a mysfit the like worker already knows, so its likes go straight to the monolith
    mysfit_id = first_mysfit(monolith.repository).mysfit_id
    handler = LikeHandler(monolith)
    like_one(handler, LikeRequested(mysfit_id=mysfit_id))
    monolith.repository.down = True

    # WHEN a batch arrives while DynamoDB does not answer, THEN the whole batch backs off (an
    # outage is not one busy item) and nothing is written
    with pytest.raises(TransientError):
        handler([LikeRequested(mysfit_id=mysfit_id) for _ in range(3)])
    with pytest.raises(TransientError):
        AdoptionHandler(monolith)(AdoptionRequested(mysfit_id=mysfit_id))
    assert monolith.repository.mysfits[mysfit_id].likes == 1
    assert not monolith.repository.mysfits[mysfit_id].adopted


class HttpFailuresMonolith(FakeMonolith):
    """Failures of the monolith's HTTP layer that no repository state causes: a lookup that fails
    (500s until the client gives up) and a 400 for any batch holding the `refused` event, as a
    bug in one event would cause."""

    def __init__(self) -> None:
        super().__init__()
        self.unreadable, self.healthy = list(self.repository.mysfits)[:2]
        self.refused: set[str] = set()
        self.batches: list[int] = []

    def get_mysfit(self, mysfit_id: str) -> dict[str, Any] | None:
        if mysfit_id == self.unreadable:
            raise TransientError("GET /mysfits/… failed after 3 attempts: HTTP 500")
        return super().get_mysfit(mysfit_id)

    def fulfil_likes(self, events: Sequence[Event]) -> dict[str, Outcome | Exception]:
        self.batches.append(len(events))
        if self.refused & {event.event_id for event in events}:
            raise PermanentError("monolith answered 400: invalid_batch")
        return super().fulfil_likes(events)


def test_a_mysfit_that_cannot_be_looked_up_fails_only_its_own_likes() -> None:
    monolith = HttpFailuresMonolith()
    good, unreadable = LikeRequested(mysfit_id=monolith.healthy), LikeRequested(mysfit_id=monolith.unreadable)

    results = LikeHandler(monolith)([unreadable, good])

    assert isinstance(results[good.event_id], Handled)
    assert isinstance(results[unreadable.event_id], TransientError)


def test_a_batch_the_monolith_refuses_is_handed_over_one_event_at_a_time() -> None:
    # GIVEN a batch the monolith refuses as a whole because of one event in it
    monolith = HttpFailuresMonolith()
    events: list[Event] = [LikeRequested(mysfit_id=monolith.healthy) for _ in range(5)]
    monolith.refused.add(events[2].event_id)

    # WHEN it is handled
    results = LikeHandler(monolith)(events)

    # THEN only that event fails; the others are counted, each once
    assert isinstance(results[events[2].event_id], PermanentError)
    assert all(isinstance(results[e.event_id], Handled) for i, e in enumerate(events) if i != 2)
    assert monolith.repository.mysfits[monolith.healthy].likes == 4
    assert monolith.batches == [5, 1, 1, 1, 1, 1]
