"""The port the service layer stores mysfits through; the DynamoDB adapter lives in dynamodb.py."""

from __future__ import annotations

import abc
from collections.abc import Sequence

from monolith.domain import Filter, FulfilStatus, ItemBusy, Mysfit, MysfitNotFound, UnprocessableEvent
from mysfits_common.budgets import Deadline
from mysfits_common.events import AdoptionRequested, LikeRequested


class MysfitRepository(abc.ABC):
    @abc.abstractmethod
    def find(self, by: tuple[Filter, str] | None = None) -> list[Mysfit]:
        """All mysfits, or those whose filter attribute equals the value."""

    @abc.abstractmethod
    def get(self, mysfit_id: str) -> Mysfit | None: ...

    def apply_like(self, event: LikeRequested, deadline: Deadline | None = None) -> FulfilStatus:
        """Count the like once per event id (a batch of one); raise MysfitNotFound for an unknown id,
        UnprocessableEvent for an item that cannot take it, ItemBusy when it may succeed soon."""
        status = self.apply_likes([event], deadline)[event.event_id]
        if status is FulfilStatus.NOT_FOUND:
            raise MysfitNotFound(event.mysfit_id)
        if status is FulfilStatus.FAILED:
            raise UnprocessableEvent(event.mysfit_id, "its item cannot take a like")
        if status is FulfilStatus.RETRY:
            raise ItemBusy(f"mysfit {event.mysfit_id} is busy")
        return status

    @abc.abstractmethod
    def apply_likes(
        self, events: Sequence[LikeRequested], deadline: Deadline | None = None
    ) -> dict[str, FulfilStatus]:
        """Count a batch of likes, each once; the status of each event id (NOT_FOUND for unknown ids,
        FAILED for an item that cannot take them, RETRY for one that stayed busy until ``deadline``)."""

    @abc.abstractmethod
    def apply_adoption(self, event: AdoptionRequested, deadline: Deadline | None = None) -> FulfilStatus:
        """Adopt once per event id; raise MysfitNotFound, AlreadyAdopted if another event won, ItemBusy
        if its item stayed busy until ``deadline``."""

    @abc.abstractmethod
    def add_if_absent(self, mysfit: Mysfit) -> bool:
        """Insert a mysfit unless its id exists; True if it was inserted."""

    @abc.abstractmethod
    def ping(self) -> None:
        """Raise DependencyUnavailable if the store does not answer."""
