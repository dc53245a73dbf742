"""The adoption processing logic: eligibility, then the monolith's conditional adoption."""

from __future__ import annotations

from mysfits_common.events import AdoptionRequested, Event
from mysfits_common.handlers import Handled, PermanentError
from mysfits_common.monolith_client import MonolithPort
from mysfits_common.outcomes import Outcome


class AdoptionHandler:
    """Only an existing mysfit can be adopted; of competing adoptions the monolith lets one win.

    A mysfit already adopted is still sent to the monolith: only it knows whether this very event
    was the winner (a redelivery) or a rival (rejected), and it records the decision either way.
    """

    def __init__(self, monolith: MonolithPort) -> None:
        self._monolith = monolith

    def __call__(self, event: Event) -> Handled:
        if not isinstance(event, AdoptionRequested):
            raise PermanentError(f"the adoption worker does not handle {event.event_type}")
        if self._monolith.get_mysfit(event.mysfit_id) is None:
            raise PermanentError(f"unknown mysfit {event.mysfit_id}")
        outcome = self._monolith.fulfil("adopt", event).outcome
        if outcome is Outcome.REJECTED:
            return Handled(outcome, "Adoption rejected: already adopted.")
        return Handled(outcome, "Adoption processed.")
