"""python -m like_worker"""

from like_worker.handler import LikeHandler
from mysfits_common.events import LikeRequested
from mysfits_common.worker import run_worker

# One transaction's worth (100 items: a marker per like and an ADD per mysfit) with the catalogue's 12.
GATHER_MAX = 88

if __name__ == "__main__":
    # What is waiting goes to the monolith in one call, gathered over receives while a backlog lasts.
    run_worker(
        "like_worker",
        lambda monolith, _settings, _stopping: LikeHandler(monolith),
        LikeRequested.event_type,
        gather_max=GATHER_MAX,
    )
