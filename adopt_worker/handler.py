"""The adoption processing logic: eligibility, then the monolith's conditional adoption."""

from __future__ import annotations

from mysfits_common.events import AdoptionRequested, Event
from mysfits_common.handlers import Outcome, PermanentError
from mysfits_common.monolith_client import MonolithPort


class AdoptionHandler:
    """Only an existing mysfit can be adopted; of competing adoptions the monolith lets one win.

    A mysfit already adopted is still sent to the monolith: only it knows whether this very event
    was the winner (a redelivery) or a rival (rejected), and it records the decision either way.
    """

    def __init__(self, monolith: MonolithPort) -> None:
        self._monolith = monolith

    def __call__(self, event: Event) -> Outcome:
        if not isinstance(event, AdoptionRequested):
            raise PermanentError(f"the adoption worker does not handle {event.event_type}")
        if self._monolith.get_mysfit(event.mysfit_id) is None:
            raise PermanentError(f"unknown mysfit {event.mysfit_id}")
        result = self._monolith.fulfil("adopt", event)
        if result.conflict:
            return Outcome("rejected", "Adoption rejected: already adopted.")
        return Outcome(str(result.body.get("status", "applied")), "Adoption processed.")
