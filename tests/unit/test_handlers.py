from __future__ import annotations

import pytest

from adopt_worker.handler import AdoptionHandler
from like_worker.handler import LikeHandler
from mysfits_common.consumer import Outcome, PermanentError
from mysfits_common.events import AdoptionRequested, LikeRequested
from tests.fakes import FakeMonolith, first_mysfit


@pytest.fixture
def monolith() -> FakeMonolith:
    return FakeMonolith()


def test_a_like_is_fulfilled_and_logged_as_processed(monolith: FakeMonolith) -> None:
    mysfit = first_mysfit(monolith.repository)

    outcome = LikeHandler(monolith)(LikeRequested(mysfit_id=mysfit.mysfit_id))

    assert outcome.message == "Like processed."
    assert outcome.status == "applied"
    assert monolith.repository.mysfits[mysfit.mysfit_id].likes == 1


def test_the_same_like_delivered_twice_counts_once(monolith: FakeMonolith) -> None:
    mysfit = first_mysfit(monolith.repository)
    event = LikeRequested(mysfit_id=mysfit.mysfit_id)
    handler = LikeHandler(monolith)

    handler(event)
    outcome = handler(event)

    assert outcome.status == "duplicate"
    assert monolith.repository.mysfits[mysfit.mysfit_id].likes == 1


def test_the_like_handler_looks_a_mysfit_up_once(monolith: FakeMonolith) -> None:
    mysfit = first_mysfit(monolith.repository)
    handler = LikeHandler(monolith)

    for _ in range(10):
        handler(LikeRequested(mysfit_id=mysfit.mysfit_id))

    assert monolith.lookups == 1


def test_a_like_for_an_unknown_mysfit_is_permanent(monolith: FakeMonolith) -> None:
    with pytest.raises(PermanentError):
        LikeHandler(monolith)(LikeRequested(mysfit_id="ghost"))

    assert monolith.fulfilled == []


def test_each_worker_refuses_the_other_event_type(monolith: FakeMonolith) -> None:
    mysfit = first_mysfit(monolith.repository)

    with pytest.raises(PermanentError):
        LikeHandler(monolith)(AdoptionRequested(mysfit_id=mysfit.mysfit_id))
    with pytest.raises(PermanentError):
        AdoptionHandler(monolith)(LikeRequested(mysfit_id=mysfit.mysfit_id))


def test_of_two_adoptions_the_first_wins_and_the_second_is_rejected(monolith: FakeMonolith) -> None:
    mysfit = first_mysfit(monolith.repository)
    handler = AdoptionHandler(monolith)
    first, second = AdoptionRequested(mysfit_id=mysfit.mysfit_id), AdoptionRequested(mysfit_id=mysfit.mysfit_id)

    assert handler(first).message == "Adoption processed."
    assert handler(second).status == "rejected"
    assert handler(first).status == "duplicate"  # the winner redelivered is still the winner
    assert monolith.repository.mysfits[mysfit.mysfit_id].adopted


def test_adopting_an_unknown_mysfit_is_permanent(monolith: FakeMonolith) -> None:
    with pytest.raises(PermanentError):
        AdoptionHandler(monolith)(AdoptionRequested(mysfit_id="ghost"))


def test_a_batch_of_likes_goes_to_the_monolith_in_one_call(monolith: FakeMonolith) -> None:
    mysfits = list(monolith.repository.mysfits.values())[:2]
    events = [LikeRequested(mysfit_id=m.mysfit_id) for m in mysfits for _ in range(3)]
    ghost = LikeRequested(mysfit_id="ghost")

    results = LikeHandler(monolith).handle_batch([*events, ghost])

    outcomes = [results[e.event_id] for e in events]
    assert all(isinstance(o, Outcome) and o.message == "Like processed." for o in outcomes)
    assert isinstance(results[ghost.event_id], PermanentError)
    assert [action for action, _ in monolith.fulfilled] == ["likes"] * len(events)
    assert all(monolith.repository.mysfits[m.mysfit_id].likes == 3 for m in mysfits)
