"""What became of an event: one word for it in every layer (the monolith's repository and fulfil
routes, the workers' handlers and consumer loop, the metrics).

Each event ends in exactly one :class:`Outcome`; its value is the name of the metric that counts it
(infra/cloudformation/alarms.yaml, the dashboard and ``ops status`` read those names). The fulfil
routes' answers (docs/openapi.yaml) and the processed-events markers stored in DynamoDB spell two
outcomes their own way, which deployed workers and stored markers already use: :func:`to_word` and
:func:`from_word` are the one place that spelling is kept.
"""

from __future__ import annotations

import enum

__all__ = ["NOT_FOUND", "Outcome", "from_word", "to_word"]


class Outcome(enum.StrEnum):
    PROCESSED = "processed"  # done and written (the like counted, the adoption made)
    DUPLICATE = "duplicate"  # done before (a redelivery, a replay): nothing changed
    REJECTED = "rejected"  # decided against (an adoption of a mysfit already adopted), and recorded
    FAILED = "failed"  # can never succeed as it is (a poison message, no such mysfit, a corrupt item): the DLQ's
    RETRIED = "retried"  # not done now (a dependency down or busy, a worker stopping): delivered again later


_WORDS = {Outcome.PROCESSED: "applied", Outcome.RETRIED: "retry"}
# A failure the batch fulfil route names for its cause: no such mysfit.
NOT_FOUND = "not_found"
_OUTCOMES = {_WORDS.get(outcome, outcome.value): outcome for outcome in Outcome} | {NOT_FOUND: Outcome.FAILED}


def to_word(outcome: Outcome) -> str:
    """The outcome as a fulfil answer and a processed-event marker spell it (``applied``, ``retry``...)."""
    return _WORDS.get(outcome, outcome.value)


def from_word(word: str) -> Outcome:
    """The outcome a fulfil answer or a marker spells ``word``; ValueError for a word it does not know."""
    try:
        return _OUTCOMES[word]
    except KeyError:
        raise ValueError(f"no outcome is spelt {word!r}") from None
