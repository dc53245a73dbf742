"""SQS in moto: SetQueueAttributes changes only the attributes it is given.

moto's ``SetQueueAttributes`` sets the queue's policy to whatever the request carries, so any call
without ``Policy`` (a new visibility timeout, a redrive policy) silently removed the policy that
lets SNS deliver to the queue. On AWS the other attributes are left alone.
"""

from __future__ import annotations

from typing import Any

from moto.sqs.models import Queue

__all__ = ["install"]


def _keeping_policy(set_attributes: Any) -> Any:
    def _set_attributes(self: Queue, attributes: dict[str, Any], now: float | None = None) -> None:
        if "Policy" in attributes or not hasattr(self, "_policy_json"):  # a new queue has no policy yet
            set_attributes(self, attributes, now)
            return
        policy = self.policy
        set_attributes(self, attributes, now)
        self.policy = policy

    return _set_attributes


def install() -> None:
    Queue._set_attributes = _keeping_policy(Queue._set_attributes)  # type: ignore[method-assign]
