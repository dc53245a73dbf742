"""The catalogue's domain: a mysfit, the outcomes of fulfilling an event, and the domain's errors."""

from __future__ import annotations

import enum
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


class FulfilStatus(enum.StrEnum):
    APPLIED = "applied"
    DUPLICATE = "duplicate"  # the event was fulfilled before: at-least-once delivery, nothing changes
    NOT_FOUND = "not_found"  # no such mysfit: nothing was written (only reported per event of a batch)


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


class DependencyUnavailable(Exception):
    """DynamoDB or SNS did not answer; the request can be retried later and changed nothing."""
