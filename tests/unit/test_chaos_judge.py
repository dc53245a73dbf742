"""The chaos benchmark's judge: the final state against the ledger, each violation named."""

from __future__ import annotations

import uuid

from bench.chaos.judge import DeadLetter, FinalState, Marker, MysfitState, Published, judge
from bench.chaos.load import RESET, Attempt, Ledger, Request

MYSFIT = "m1"


def request(kind: str, *attempts: Attempt, mysfit_id: str = MYSFIT) -> Request:
    return Request(kind, mysfit_id, str(uuid.uuid4()), list(attempts))


def accepted(event_id: str) -> Attempt:
    return Attempt(1.0, 0.01, status=202, event_id=event_id)


def lost() -> Attempt:
    return Attempt(0.5, 0.2, error=RESET)


def published(event_id: str, key: str, event_type: str = "LikeRequested", mysfit_id: str = MYSFIT) -> Published:
    return Published(event_id, event_type, mysfit_id, key)


def applied(event_id: str, event_type: str = "LikeRequested", mysfit_id: str = MYSFIT) -> Marker:
    return Marker(event_id, event_type, mysfit_id, "applied")


def state(likes: int, events: list[Published], markers: list[Marker], mysfits: dict[str, MysfitState] | None = None,
          dead_letters: tuple[DeadLetter, ...] = ()) -> FinalState:
    """The final state of a run whose only liked mysfit started at 0 likes and ended at ``likes``."""
    return FinalState({MYSFIT: 0}, {MYSFIT: MysfitState(likes, False, None), **(mysfits or {})},
                      {e.event_id: e for e in events}, {m.event_id: m for m in markers}, list(dead_letters))


def names(ledger: Ledger, final: FinalState) -> list[str]:
    return [violation.name for violation in judge(ledger, final).violations]


def test_likes_each_counted_once_under_the_eventid_given_are_no_violation() -> None:
    ledger = Ledger()
    first, second = request("like", accepted("e1")), request("like", lost(), accepted("e2"))
    ledger.add(first)
    ledger.add(second)

    final = state(2, [published("e1", first.key), published("e2", second.key)], [applied("e1"), applied("e2")])

    assert names(ledger, final) == []


def test_a_retry_that_became_a_second_event_is_a_like_counted_twice() -> None:
    # GIVEN a like whose first attempt lost its answer after publishing, retried with the same key
    ledger = Ledger()
    retried = request("like", lost(), accepted("e2"))
    ledger.add(retried)

    # WHEN the monolith published two events for it and both were counted
    final = state(2, [published("e1", retried.key), published("e2", retried.key)], [applied("e1"), applied("e2")])

    # THEN the judge names the double count, with the request as evidence
    verdict = judge(ledger, final)
    assert [v.name for v in verdict.violations] == ["request fulfilled more than once (a retry was a new event)"]
    assert retried.key in verdict.violations[0].evidence[0]


def test_an_accepted_like_without_a_marker_is_lost_and_likes_must_match_markers() -> None:
    ledger = Ledger()
    like = request("like", accepted("e1"))
    ledger.add(like)

    assert names(ledger, state(1, [published("e1", like.key)], [])) == [
        "likes counted but not by one marker each",
        "accepted like never fulfilled (202, no marker)",
    ]


def test_a_healthy_event_in_a_dlq_is_a_violation() -> None:
    ledger = Ledger()
    like = request("like", accepted("e1"))
    ledger.add(like)
    letter = DeadLetter("like DLQ", "e1", 5)

    final = state(0, [published("e1", like.key)], [], dead_letters=(letter,))

    assert "message in a dead-letter queue" in names(ledger, final)


def test_an_adopted_mysfit_has_one_winner_named_by_adoptedby() -> None:
    ledger = Ledger()
    rivals = [request("adopt", accepted(f"a{n}"), mysfit_id="m2") for n in range(2)]
    for rival in rivals:
        ledger.add(rival)
    events = [published(f"a{n}", rival.key, "AdoptionRequested", "m2") for n, rival in enumerate(rivals)]
    markers = [applied(f"a{n}", "AdoptionRequested", "m2") for n in range(2)]

    final = state(0, events, markers, mysfits={"m2": MysfitState(0, True, "a1")})

    assert names(ledger, final) == ["mysfit without exactly one adoption winner (the one AdoptedBy names)"]


TOLD_NO = "request fulfilled though its client was told it was not (4xx, or only refused connections)"


def unavailable() -> Attempt:
    return Attempt(0.5, 3.0, status=503)


def refused(status: int = 409) -> Attempt:
    return Attempt(4.0, 0.01, status=status)


def decided(event_id: str, outcome: str, mysfit_id: str = MYSFIT) -> Marker:
    return Marker(event_id, "AdoptionRequested", mysfit_id, outcome)


def test_a_rival_whose_503_was_published_anyway_and_then_lost_is_no_violation() -> None:
    # GIVEN a rival adoption answered 503 while its publish was in flight (it landed), then 409 on its retry
    ledger = Ledger()
    rival = request("adopt", unavailable(), refused(409))
    winner = request("adopt", accepted("won"))
    ledger.add(rival)
    ledger.add(winner)
    adopted = {MYSFIT: MysfitState(0, True, "won")}
    events = [published("lost", rival.key, "AdoptionRequested"), published("won", winner.key, "AdoptionRequested")]

    # WHEN its event was decided, and rejected: the mysfit had gone to the winner
    final = state(0, events, [decided("lost", "rejected"), decided("won", "applied")], adopted)

    # THEN nothing contradicts what either client was told
    assert names(ledger, final) == []


def test_an_adoption_that_won_though_its_client_was_told_409_is_a_violation() -> None:
    ledger = Ledger()
    told_no = request("adopt", unavailable(), refused(409))
    ledger.add(told_no)
    adopted = {MYSFIT: MysfitState(0, True, "won")}

    final = state(0, [published("won", told_no.key, "AdoptionRequested")], [decided("won", "applied")], adopted)

    assert TOLD_NO in names(ledger, final)


def test_a_like_counted_though_every_attempt_was_refused_at_once_is_a_violation() -> None:
    ledger = Ledger()
    told_no = request("like", refused(404))
    ledger.add(told_no)

    final = state(1, [published("e1", told_no.key)], [applied("e1")])

    assert TOLD_NO in names(ledger, final)
