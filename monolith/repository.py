"""The port the service layer stores mysfits through; the DynamoDB adapter lives in dynamodb.py."""

from __future__ import annotations

import abc
from collections.abc import Sequence

from monolith.domain import DependencyUnavailable, Filter, FulfilStatus, Mysfit, MysfitNotFound, UnprocessableEvent
from mysfits_common.events import AdoptionRequested, LikeRequested


class MysfitRepository(abc.ABC):
    @abc.abstractmethod
    def find(self, by: tuple[Filter, str] | None = None) -> list[Mysfit]:
        """All mysfits, or those whose filter attribute equals the value."""

    @abc.abstractmethod
    def get(self, mysfit_id: str) -> Mysfit | None: ...

    def apply_like(self, event: LikeRequested) -> FulfilStatus:
        """Count the like once per event id (a batch of one); raise MysfitNotFound for an unknown id,
        UnprocessableEvent for an item that cannot take it, DependencyUnavailable when it may succeed later."""
        status = self.apply_likes([event])[event.event_id]
        if status is FulfilStatus.NOT_FOUND:
            raise MysfitNotFound(event.mysfit_id)
        if status is FulfilStatus.FAILED:
            raise UnprocessableEvent(event.mysfit_id, "its item cannot take a like")
        if status is FulfilStatus.RETRY:
            raise DependencyUnavailable(f"mysfit {event.mysfit_id} is busy")
        return status

    @abc.abstractmethod
    def apply_likes(self, events: Sequence[LikeRequested]) -> dict[str, FulfilStatus]:
        """Count a batch of likes, each once; the status of each event id (NOT_FOUND for unknown ids,
        FAILED for an item that cannot take them, RETRY for one that was busy)."""

    @abc.abstractmethod
    def apply_adoption(self, event: AdoptionRequested) -> FulfilStatus:
        """Adopt once per event id; raise MysfitNotFound, or AlreadyAdopted if another event won."""

    @abc.abstractmethod
    def add_if_absent(self, mysfit: Mysfit) -> bool:
        """Insert a mysfit unless its id exists; True if it was inserted."""

    @abc.abstractmethod
    def ping(self) -> None:
        """Raise DependencyUnavailable if the store does not answer."""
