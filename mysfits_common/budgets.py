"""Deadlines that nest: every caller waits longer than the work it waits for, so that nothing keeps
working for a caller that has given up, and nothing answers after the load balancer has.

- A public request answers within ``REQUEST_SECONDS``, well under the ALB's 60 s idle timeout: its
  publish waits only for what remains of it (then 503 with Retry-After).
- Every AWS call on the monolith's request path uses ``BOUNDED`` (two attempts of at most 1 s to
  connect and 3 s to answer, and botocore's first back-off of up to 1 s): ``BOUNDED_CALL_SECONDS``
  at worst, where botocore's defaults allowed 4 attempts of 10 s.
- A worker gives each fulfil attempt ``FULFIL_CALL_SECONDS`` and says so in ``BUDGET_HEADER``; the
  monolith works on it for that less ``FULFIL_MARGIN_SECONDS`` at most (``FULFIL_SECONDS`` without the
  header), and starts no DynamoDB call that could end after that. A worker's retry of a fulfil thus
  never finds the monolith still working on the attempt before it.
"""

from __future__ import annotations

import math
import time

from botocore.config import Config

__all__ = [
    "BOUNDED",
    "BOUNDED_CALL_SECONDS",
    "BUDGET_HEADER",
    "FULFIL_CALL_SECONDS",
    "FULFIL_SECONDS",
    "REQUEST_SECONDS",
    "Deadline",
]

REQUEST_SECONDS = 10.0
BOUNDED = Config(connect_timeout=1, read_timeout=3, retries={"mode": "standard", "total_max_attempts": 2})
BOUNDED_CALL_SECONDS = 2 * (1 + 3) + 1
FULFIL_CALL_SECONDS = 15.0
FULFIL_MARGIN_SECONDS = 1.0
FULFIL_SECONDS = FULFIL_CALL_SECONDS - FULFIL_MARGIN_SECONDS
BUDGET_HEADER = "X-Budget-Ms"  # what the caller allows the call, in milliseconds, from when it was sent


class Deadline:
    """A point in time (monotonic) by which the work must be done."""

    def __init__(self, seconds: float) -> None:
        self.at = time.monotonic() + seconds

    def remaining(self) -> float:
        return self.at - time.monotonic()

    def allows(self, seconds: float) -> bool:
        """Whether work that may take ``seconds`` can still end in time."""
        return self.remaining() >= seconds

    @classmethod
    def for_caller(cls, budget_ms: str | None) -> Deadline:
        """The caller's budget (``BUDGET_HEADER``'s value) less a margin for the answer's way back;
        FULFIL_SECONDS without (or with a malformed) budget, and never more than that."""
        try:
            given = float(budget_ms or "") / 1000 - FULFIL_MARGIN_SECONDS
        except ValueError:
            given = FULFIL_SECONDS
        if not math.isfinite(given):
            given = FULFIL_SECONDS
        return cls(max(0.0, min(given, FULFIL_SECONDS)))
