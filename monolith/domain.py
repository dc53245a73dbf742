"""The catalogue's domain: a mysfit and the domain's errors (an event's outcome is
:class:`mysfits_common.outcomes.Outcome`, shared with the workers)."""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Mysfit:
    mysfit_id: str
    name: str
    species: str
    description: str
    age: int
    good_evil: str
    law_chaos: str
    thumb_image_uri: str
    profile_image_uri: str
    likes: int = 0
    adopted: bool = False
    adopted_by: str | None = None  # the eventId of the adoption that won


class Filter(enum.StrEnum):
    GOOD_EVIL = "GoodEvil"
    LAW_CHAOS = "LawChaos"


class MysfitNotFound(Exception):
    def __init__(self, mysfit_id: str) -> None:
        super().__init__(f"no mysfit with id {mysfit_id}")
        self.mysfit_id = mysfit_id


class AlreadyAdopted(Exception):
    def __init__(self, mysfit_id: str) -> None:
        super().__init__(f"mysfit {mysfit_id} is already adopted")
        self.mysfit_id = mysfit_id


class UnprocessableEvent(Exception):
    """The event is valid but the item it targets cannot take it as it is (a corrupt record)."""

    def __init__(self, mysfit_id: str, reason: str) -> None:
        super().__init__(f"mysfit {mysfit_id} cannot take the event: {reason}")
        self.mysfit_id = mysfit_id


class CorruptRecord(Exception):
    """A stored item cannot be read as a mysfit (a field of the wrong type, written by hand)."""

    def __init__(self, mysfit_id: str, reason: str) -> None:
        super().__init__(f"mysfit {mysfit_id} is stored in a form that cannot be read: {reason}")
        self.mysfit_id = mysfit_id


class DependencyUnavailable(Exception):
    """DynamoDB or SNS did not answer; the request can be retried later and changed nothing."""


class ItemBusy(DependencyUnavailable):
    """The mysfit's item stayed busy (conflicting transactions, throttling) for as long as the caller's
    budget allowed retrying it: nothing was written, and a retry soon is likely to succeed."""


def catalogue_totals(mysfits: Sequence[Mysfit]) -> dict[str, int]:
    """The catalogue in three numbers, as the pipeline view and ``ops status`` show it."""
    return {
        "mysfits": len(mysfits),
        "likes": sum(mysfit.likes for mysfit in mysfits),
        "adopted": sum(1 for mysfit in mysfits if mysfit.adopted),
    }
