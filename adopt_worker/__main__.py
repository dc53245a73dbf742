"""python -m adopt_worker"""

from adopt_worker.handler import AdoptionHandler
from mysfits_common.events import AdoptionRequested
from mysfits_common.handlers import EachEvent
from mysfits_common.worker import run_worker

if __name__ == "__main__":
    # Each adoption is its own conditional write: handled one event at a time, several at once.
    run_worker(
        "adopt_worker",
        lambda monolith, settings, stopping: EachEvent(AdoptionHandler(monolith), settings.concurrency, stopping),
        AdoptionRequested.event_type,
    )
