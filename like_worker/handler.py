"""The like processing logic: each like checked against the monolith (known ids cached), then handed over in batches."""

from __future__ import annotations

from mysfits_common.events import Event, LikeRequested
from mysfits_common.handlers import Busy, Outcome, PermanentError, TransientError
from mysfits_common.monolith_client import MonolithPort
from mysfits_common.ttl_set import TtlSet


class LikeHandler:
    """Checks each mysfit exists (cached: ids do not disappear) and has the likes counted once each.

    A batch handler: a whole receive goes to the monolith in one call, one DynamoDB transaction per
    batch instead of one per like. One bad event never fails its neighbours: a mysfit that cannot
    be looked up fails only its own likes, the monolith settles each event of a batch on its own
    (a corrupt item fails only its likes), and a batch the monolith refuses as a whole (a 4xx) is
    handed over again one event at a time, so that only the bad one is retried and dead-lettered.
    """

    def __init__(self, monolith: MonolithPort, known_ttl_seconds: float = 300) -> None:
        self._monolith = monolith
        self._known = TtlSet(known_ttl_seconds)

    def __call__(self, events: list[Event]) -> dict[str, Outcome | Exception]:
        results: dict[str, Outcome | Exception] = {}
        likes: list[Event] = []
        for event in events:
            if not isinstance(event, LikeRequested):
                results[event.event_id] = PermanentError(f"the like worker does not handle {event.event_type}")
                continue
            try:
                exists = self._exists(event.mysfit_id)
            except (TransientError, PermanentError) as error:
                results[event.event_id] = error
                continue
            if exists:
                likes.append(event)
            else:
                results[event.event_id] = PermanentError(f"unknown mysfit {event.mysfit_id}")
        if likes:
            results.update(self._fulfil(likes))
        return results

    def _fulfil(self, likes: list[Event]) -> dict[str, Outcome | Exception]:
        """The monolith's outcome per like; a refused batch is split until the refused event is alone.

        A TransientError (the monolith is down or overloaded) is raised for the whole batch: an
        outage is not one bad event, and the consumer backs the whole batch off.
        """
        try:
            statuses = self._monolith.fulfil_likes(likes)
        except PermanentError as error:
            if len(likes) == 1:
                return {likes[0].event_id: error}
            results: dict[str, Outcome | Exception] = {}
            for like in likes:
                results.update(self._fulfil([like]))
            return results
        return {event.event_id: _outcome(statuses.get(event.event_id)) for event in likes}

    def _exists(self, mysfit_id: str) -> bool:
        if mysfit_id not in self._known:
            if self._monolith.get_mysfit(mysfit_id) is None:
                return False
            self._known.add(mysfit_id)
        return True


def _outcome(status: str | None) -> Outcome | Exception:
    if status in ("applied", "duplicate"):
        return Outcome(status, "Like processed.")
    if status == "not_found":
        return PermanentError("the monolith knows no such mysfit")
    if status == "failed":
        return PermanentError("the mysfit's item cannot take a like (a corrupt record); see the monolith's log")
    if status == "retry":
        return Busy("the mysfit's item was busy; nothing was written")
    return TransientError(f"no result for the event from the monolith ({status})")
