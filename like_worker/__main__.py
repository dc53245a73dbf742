"""python -m like_worker"""

from like_worker.handler import LikeHandler
from mysfits_common.events import LikeRequested
from mysfits_common.worker import run_worker

if __name__ == "__main__":
    # A whole receive goes to the monolith in one call.
    run_worker("like_worker", lambda monolith, _settings, _stopping: LikeHandler(monolith), LikeRequested.event_type)
