"""The like processing logic: each like checked against the monolith (known ids cached), then handed over in batches."""

from __future__ import annotations

from mysfits_common.events import Event, LikeRequested
from mysfits_common.handlers import Handled, PermanentError, TransientError
from mysfits_common.monolith_client import MonolithPort
from mysfits_common.outcomes import Outcome
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

    def __call__(self, events: list[Event]) -> dict[str, Handled | Exception]:
        results: dict[str, Handled | Exception] = {}
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

    def _fulfil(self, likes: list[Event]) -> dict[str, Handled | Exception]:
        """The monolith's outcome per like; a refused batch is split until the refused event is alone.

        A TransientError (the monolith is down or overloaded) is raised for the whole batch: an
        outage is not one bad event, and the consumer backs the whole batch off.
        """
        try:
            results = self._monolith.fulfil_likes(likes)
        except PermanentError as error:
            if len(likes) == 1:
                return {likes[0].event_id: error}
            split: dict[str, Handled | Exception] = {}
            for like in likes:
                split.update(self._fulfil([like]))
            return split
        return {event.event_id: _handled(results.get(event.event_id)) for event in likes}

    def _exists(self, mysfit_id: str) -> bool:
        if mysfit_id not in self._known:
            if self._monolith.get_mysfit(mysfit_id) is None:
                return False
            self._known.add(mysfit_id)
        return True


def _handled(result: Outcome | Exception | None) -> Handled | Exception:
    if result is None:
        return TransientError("no result for the event from the monolith")
    return result if isinstance(result, Exception) else Handled(result, "Like processed.")
