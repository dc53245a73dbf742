"""The like processing logic: a pure function of the event and the monolith port."""

from __future__ import annotations

from mysfits_common.consumer import Outcome, PermanentError, TransientError
from mysfits_common.events import Event, LikeRequested
from mysfits_common.monolith_client import MonolithPort
from mysfits_common.ttl_set import TtlSet


class LikeHandler:
    """Checks each mysfit exists (cached: ids do not disappear) and has the likes counted once each.

    A whole receive goes to the monolith in one call (handle_batch): one DynamoDB transaction per
    batch instead of one per like.
    """

    def __init__(self, monolith: MonolithPort, known_ttl_seconds: float = 300) -> None:
        self._monolith = monolith
        self._known = TtlSet(known_ttl_seconds)

    def __call__(self, event: Event) -> Outcome:
        result = self.handle_batch([event])[event.event_id]
        if isinstance(result, Exception):
            raise result
        return result

    def handle_batch(self, events: list[Event]) -> dict[str, Outcome | Exception]:
        results: dict[str, Outcome | Exception] = {}
        likes: list[Event] = []
        for event in events:
            if not isinstance(event, LikeRequested):
                results[event.event_id] = PermanentError(f"the like worker does not handle {event.event_type}")
            elif not self._exists(event.mysfit_id):
                results[event.event_id] = PermanentError(f"unknown mysfit {event.mysfit_id}")
            else:
                likes.append(event)
        if likes:
            statuses = self._monolith.fulfil_likes(likes)
            for event in likes:
                results[event.event_id] = _outcome(statuses.get(event.event_id))
        return results

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
    return TransientError(f"no result for the event from the monolith ({status})")
