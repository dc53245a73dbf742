"""A chaos benchmark: a steady load under a seeded schedule of faults, judged by a ledger.

    .venv/bin/python -m bench.chaos [--minutes 30] [--seed N] [--min-each K] [--likes-per-second 20] [--log-dir DIR]

Starts one embedded system on free ports (its own emulator, a 10 s visibility timeout, short worker
back-offs), sends likes over the 12 catalogue mysfits and, now and then, a burst of rival adoptions of
a fresh mysfit, each logical request with its own ``Idempotency-Key`` and retried with it. After a calm
start (the baseline), the schedule printed at the start kills, stops and terminates every process
and has the emulator misbehave as AWS does. Then the run settles and is judged: every accepted like
counted once, no event counted twice, nothing in a DLQ, one winner per adopted mysfit, each fault kind
fired at least ``--min-each`` times. Exit status 1 on any violation, each named with its evidence.
"""
