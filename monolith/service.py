"""The service layer: what the routes do, over the repository and publisher ports."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from monolith.config import Mode
from monolith.domain import (
    AlreadyAdopted,
    DependencyUnavailable,
    Filter,
    Mysfit,
    MysfitNotFound,
)
from monolith.repository import MysfitRepository
from monolith.switch import FEATURES, FixedModes, ModeSource
from mysfits_common.budgets import Deadline
from mysfits_common.events import AdoptionRequested, Event, LikeRequested, event_id_for_key
from mysfits_common.outcomes import Outcome
from mysfits_common.publisher import EventPublisher, PublishError
from mysfits_common.ttl_set import TtlSet

E = TypeVar("E", bound=Event)


@dataclass(frozen=True)
class Accepted:
    event: Event
    processed: bool  # True when the strangler switch is `inline` and the write already happened


class MysfitsService:
    def __init__(
        self,
        repository: MysfitRepository,
        publisher: EventPublisher,
        like_mode: Mode = "queue",
        adopt_mode: Mode = "queue",
        known_ids_ttl_seconds: float = 300,
        modes: ModeSource | None = None,
        readiness_cache_seconds: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """``modes`` is the strangler switch read at run time; without it, ``like_mode`` and
        ``adopt_mode`` hold for the service's life. Readiness is asked of the dependencies at most
        once per ``readiness_cache_seconds``: DescribeTable and GetTopicAttributes are rate-limited."""
        self._repository = repository
        self._publisher = publisher
        self._modes: ModeSource = modes or FixedModes(like_mode, adopt_mode)
        # Mysfits are never deleted, so an id seen once need not be read again on every like.
        self._known_ids = TtlSet(known_ids_ttl_seconds)
        self._readiness_cache_seconds = readiness_cache_seconds
        self._clock = clock
        self._readiness_lock = threading.Lock()
        self._readiness: tuple[float, dict[str, str]] | None = None  # (when asked, checks)

    def list_mysfits(self, by: tuple[Filter, str] | None = None) -> list[Mysfit]:
        return sorted(self._repository.find(by), key=lambda mysfit: mysfit.name)

    def get_mysfit(self, mysfit_id: str) -> Mysfit:
        mysfit = self._repository.get(mysfit_id)
        if mysfit is None:
            raise MysfitNotFound(mysfit_id)
        self._known_ids.add(mysfit_id)
        return mysfit

    def request_like(
        self, mysfit_id: str, correlation_id: str, idempotency_key: str | None = None, deadline: Deadline | None = None
    ) -> Accepted:
        """``idempotency_key``: the client's key for this like, a retry with it is the same event;
        ``deadline``: when the request must be answered (its publish waits no longer)."""
        if mysfit_id not in self._known_ids:
            self.get_mysfit(mysfit_id)
        event = _new_event(LikeRequested, mysfit_id, correlation_id, idempotency_key)
        return self._dispatch(event, self._modes.mode("like"), self._repository.apply_like, deadline)

    def request_adoption(
        self, mysfit_id: str, correlation_id: str, idempotency_key: str | None = None, deadline: Deadline | None = None
    ) -> Accepted:
        """A retry of the adoption that won (its key) is accepted again, as the same event; a rival is 409."""
        event = _new_event(AdoptionRequested, mysfit_id, correlation_id, idempotency_key)
        mysfit = self.get_mysfit(mysfit_id)
        if mysfit.adopted and mysfit.adopted_by != event.event_id:
            raise AlreadyAdopted(mysfit_id)
        return self._dispatch(event, self._modes.mode("adopt"), self._repository.apply_adoption, deadline)

    def fulfil_like(self, event: LikeRequested, deadline: Deadline | None = None) -> Outcome:
        return self._repository.apply_like(event, deadline)

    def fulfil_likes(
        self, events: Sequence[LikeRequested], deadline: Deadline | None = None
    ) -> dict[str, Outcome | Exception]:
        return self._repository.apply_likes(events, deadline)

    def fulfil_adoption(self, event: AdoptionRequested, deadline: Deadline | None = None) -> Outcome:
        return self._repository.apply_adoption(event, deadline)

    def modes(self) -> dict[str, Mode]:
        """The strangler switch's position now, by feature."""
        return {feature: self._modes.mode(feature) for feature in FEATURES}

    def readiness(self) -> dict[str, str]:
        """Whether each dependency answers: "ok" or the error, by dependency name (cached)."""
        with self._readiness_lock:
            now = self._clock()
            if self._readiness is None or now - self._readiness[0] >= self._readiness_cache_seconds:
                self._readiness = (now, self._ask_dependencies())
            return dict(self._readiness[1])

    def _ask_dependencies(self) -> dict[str, str]:
        checks: dict[str, str] = {}
        probes = {"dynamodb": self._repository.ping}
        if "queue" in (self._modes.mode("like"), self._modes.mode("adopt")):
            probes["sns"] = self._publisher.ping
        for name, probe in probes.items():
            try:
                probe()
            except Exception as error:
                checks[name] = f"error: {type(error).__name__}"
            else:
                checks[name] = "ok"
        return checks

    def close(self) -> None:
        """Flush the publisher: an event a request is waiting on is published, never dropped."""
        self._publisher.close()

    def _dispatch(
        self,
        event: E,
        mode: Mode,
        apply_inline: Callable[[E, Deadline | None], Outcome],
        deadline: Deadline | None,
    ) -> Accepted:
        """The strangler switch: process in this request, or publish for the worker (within ``deadline``)."""
        if mode == "inline":
            apply_inline(event, deadline)
            return Accepted(event, processed=True)
        try:
            self._publisher.publish(event, timeout=None if deadline is None else max(deadline.remaining(), 0.0))
        except PublishError as error:
            raise DependencyUnavailable(str(error)) from error
        return Accepted(event, processed=False)


def _new_event(kind: type[E], mysfit_id: str, correlation_id: str, idempotency_key: str | None) -> E:
    if idempotency_key is None:
        return kind(mysfit_id=mysfit_id, correlation_id=correlation_id)
    event_id = event_id_for_key(kind.event_type, mysfit_id, idempotency_key)
    return kind(mysfit_id=mysfit_id, correlation_id=correlation_id, event_id=event_id)
