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
    adoptions_accepted: Counter[str] = field(default_factory=Counter)
    refused: Counter[int] = field(default_factory=Counter)

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
        for mysfit_id, status in zip(requests_, pool.map(lambda t: api.adopt(t).status_code, requests_), strict=True):
            if status == 202:
                ledger.adoptions_accepted[mysfit_id] += 1
            else:
                ledger.refused[status] += 1


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

    def decided() -> dict[str, dict[str, int]]:
        return {m: aws.outcomes(m) for m in ledger.adoptions_accepted}

    def done() -> bool:
        likes = counted()
        outcomes = decided()
        return (
            all(likes[m] >= ledger.likes_accepted[m] for m in CATALOGUE_IDS)
            and all(sum(outcomes[m].values()) >= n for m, n in ledger.adoptions_accepted.items())
            and aws.drained()
        )

    eventually(done, bool, timeout=timeout, interval=0.5)
    seconds = time.monotonic() - started
    likes = counted()
    outcomes = decided()
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
    for mysfit_id in ledger.adoptions_accepted:
        assert aws.outcomes(mysfit_id).get("applied") == 1, f"{mysfit_id} must have exactly one adopter"
    assert aws.dead_letters() == 0
