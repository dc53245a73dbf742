"""The like processing logic: a pure function of the event and the monolith port."""

from __future__ import annotations

from mysfits_common.consumer import Outcome, PermanentError
from mysfits_common.events import Event, LikeRequested
from mysfits_common.monolith_client import MonolithPort
from mysfits_common.ttl_set import TtlSet


class LikeHandler:
    """Checks the mysfit exists (cached: ids do not disappear) and has the like counted once."""

    def __init__(self, monolith: MonolithPort, known_ttl_seconds: float = 300) -> None:
        self._monolith = monolith
        self._known = TtlSet(known_ttl_seconds)

    def __call__(self, event: Event) -> Outcome:
        if not isinstance(event, LikeRequested):
            raise PermanentError(f"the like worker does not handle {event.event_type}")
        if event.mysfit_id not in self._known:
            if self._monolith.get_mysfit(event.mysfit_id) is None:
                raise PermanentError(f"unknown mysfit {event.mysfit_id}")
            self._known.add(event.mysfit_id)
        result = self._monolith.fulfil("like", event)
        if result.conflict:
            raise PermanentError(f"like rejected: {result.body}")
        return Outcome(str(result.body.get("status", "applied")), "Like processed.")
