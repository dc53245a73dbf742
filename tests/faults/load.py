"""Known loads for fault tests, and the ledger that proves nothing was lost or counted twice."""

from __future__ import annotations

import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from monolith.seed import catalogue
from tests.e2e.client import Api, Aws, eventually

CATALOGUE_IDS = [mysfit.mysfit_id for mysfit in catalogue()]


@dataclass
class Ledger:
    """What the API accepted, against which the final state is checked."""

    likes_before: dict[str, int]
    likes_accepted: Counter[str] = field(default_factory=Counter)
    adoption_events: dict[str, list[str]] = field(default_factory=dict)  # mysfit -> eventIds of its 202s
    refused: Counter[int] = field(default_factory=Counter)

    @property
    def adoptions_accepted(self) -> Counter[str]:
        return Counter({mysfit_id: len(ids) for mysfit_id, ids in self.adoption_events.items()})

    @property
    def likes_sent(self) -> int:
        return sum(self.likes_accepted.values()) + sum(self.refused.values())


def open_ledger(api: Api) -> Ledger:
    return Ledger({mysfit_id: api.likes(mysfit_id) for mysfit_id in CATALOGUE_IDS})


def send_likes(api: Api, ledger: Ledger, count: int, workers: int = 12) -> None:
    """`count` likes spread round-robin over the 12 mysfits."""
    targets = [CATALOGUE_IDS[i % len(CATALOGUE_IDS)] for i in range(count)]
    with ThreadPoolExecutor(max_workers=workers) as pool:
        for mysfit_id, status in zip(targets, pool.map(lambda t: api.like(t).status_code, targets), strict=True):
            if status == 202:
                ledger.likes_accepted[mysfit_id] += 1
            else:
                ledger.refused[status] += 1


def send_adoptions(api: Api, aws: Aws, ledger: Ledger, mysfits: int = 5, rivals: int = 4) -> None:
    """Fresh mysfits, each wanted by several adopters at once."""
    targets = [aws.add_mysfit(f"fault-{uuid.uuid4()}") for _ in range(mysfits)]
    requests_ = [t for t in targets for _ in range(rivals)]
    with ThreadPoolExecutor(max_workers=rivals * 2) as pool:
        for mysfit_id, response in zip(requests_, pool.map(api.adopt, requests_), strict=True):
            if response.status_code == 202:
                ledger.adoption_events.setdefault(mysfit_id, []).append(response.json()["eventId"])
            else:
                ledger.refused[response.status_code] += 1


def adoption_outcomes(aws: Aws, ledger: Ledger) -> dict[str, Counter[str]]:
    """Per mysfit, the outcomes of the adoptions the API accepted for it, read by their eventIds."""
    outcomes = aws.outcomes_of([i for ids in ledger.adoption_events.values() for i in ids])
    return {
        mysfit_id: Counter(outcomes[i] for i in ids if i in outcomes)
        for mysfit_id, ids in ledger.adoption_events.items()
    }


@dataclass(frozen=True)
class Settled:
    lost_likes: int
    duplicated_likes: int
    undecided_adoptions: int
    seconds: float


def settle(api: Api, aws: Aws, ledger: Ledger, started: float, timeout: float = 180) -> Settled:
    """Wait until every accepted like and adoption is processed; measure what was lost or doubled."""

    def counted() -> dict[str, int]:
        return {m: api.likes(m) - ledger.likes_before[m] for m in CATALOGUE_IDS}

    def done() -> bool:
        likes = counted()
        outcomes = adoption_outcomes(aws, ledger)
        return (
            all(likes[m] >= ledger.likes_accepted[m] for m in CATALOGUE_IDS)
            and all(sum(outcomes[m].values()) >= n for m, n in ledger.adoptions_accepted.items())
            and aws.drained()
        )

    eventually(done, bool, timeout=timeout, interval=0.5)
    seconds = time.monotonic() - started
    likes = counted()
    outcomes = adoption_outcomes(aws, ledger)
    return Settled(
        lost_likes=sum(max(ledger.likes_accepted[m] - likes[m], 0) for m in CATALOGUE_IDS),
        duplicated_likes=sum(max(likes[m] - ledger.likes_accepted[m], 0) for m in CATALOGUE_IDS),
        undecided_adoptions=sum(
            n - sum(outcomes[m].values()) for m, n in ledger.adoptions_accepted.items()
        ),
        seconds=round(seconds, 1),
    )


def assert_exactly_once(aws: Aws, ledger: Ledger, settled: Settled) -> None:
    assert settled.lost_likes == 0
    assert settled.duplicated_likes == 0
    assert settled.undecided_adoptions == 0
    for mysfit_id, outcomes in adoption_outcomes(aws, ledger).items():
        assert outcomes["applied"] == 1, f"{mysfit_id} must have exactly one adopter: {outcomes}"
    assert aws.dead_letters() == 0
