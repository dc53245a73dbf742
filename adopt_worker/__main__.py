"""python -m adopt_worker"""

from adopt_worker.handler import AdoptionHandler
from mysfits_common.worker import run_worker

if __name__ == "__main__":
    run_worker("adopt_worker", AdoptionHandler)
