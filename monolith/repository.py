"""The port the service layer stores mysfits through; the DynamoDB adapter lives in dynamodb.py."""

from __future__ import annotations

import abc
from collections.abc import Sequence

from monolith.domain import Filter, Mysfit
from mysfits_common.budgets import Deadline
from mysfits_common.events import AdoptionRequested, LikeRequested
from mysfits_common.outcomes import Outcome


class MysfitRepository(abc.ABC):
    @abc.abstractmethod
    def find(self, by: tuple[Filter, str] | None = None) -> list[Mysfit]:
        """All mysfits, or those whose filter attribute equals the value."""

    @abc.abstractmethod
    def get(self, mysfit_id: str) -> Mysfit | None: ...

    def apply_like(self, event: LikeRequested, deadline: Deadline | None = None) -> Outcome:
        """Count the like once per event id (a batch of one): PROCESSED or DUPLICATE; raise what
        :meth:`apply_likes` gives for a failure."""
        result = self.apply_likes([event], deadline)[event.event_id]
        if isinstance(result, Exception):
            raise result
        return result

    @abc.abstractmethod
    def apply_likes(
        self, events: Sequence[LikeRequested], deadline: Deadline | None = None
    ) -> dict[str, Outcome | Exception]:
        """Count a batch of likes, each once; per event id PROCESSED or DUPLICATE, or the exception
        that says why it failed: MysfitNotFound for an unknown id, UnprocessableEvent for an item that
        cannot take it, ItemBusy for one that stayed busy until ``deadline``."""

    @abc.abstractmethod
    def apply_adoption(self, event: AdoptionRequested, deadline: Deadline | None = None) -> Outcome:
        """Adopt once per event id: PROCESSED or DUPLICATE; raise MysfitNotFound, AlreadyAdopted if
        another event won, ItemBusy if its item stayed busy until ``deadline``."""

    @abc.abstractmethod
    def add_if_absent(self, mysfit: Mysfit) -> bool:
        """Insert a mysfit unless its id exists; True if it was inserted."""

    @abc.abstractmethod
    def ping(self) -> None:
        """Raise DependencyUnavailable if the store does not answer."""
