"""python -m like_worker"""

from like_worker.handler import LikeHandler
from mysfits_common.worker import run_worker

if __name__ == "__main__":
    run_worker("like_worker", LikeHandler)
