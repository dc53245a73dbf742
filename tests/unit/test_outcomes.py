"""An outcome keeps the spelling that deployed workers, monoliths and stored markers already use."""

from __future__ import annotations

import pytest

from mysfits_common.outcomes import NOT_FOUND, Outcome, from_word, to_word


def test_the_fulfil_answers_and_the_markers_spell_outcomes_as_deployed_code_reads_them() -> None:
    assert {outcome: to_word(outcome) for outcome in Outcome} == {
        Outcome.PROCESSED: "applied",
        Outcome.DUPLICATE: "duplicate",
        Outcome.REJECTED: "rejected",
        Outcome.FAILED: "failed",
        Outcome.RETRIED: "retry",
    }


def test_every_word_reads_back_as_its_outcome_and_not_found_as_a_failure() -> None:
    assert all(from_word(to_word(outcome)) is outcome for outcome in Outcome)
    assert from_word(NOT_FOUND) is Outcome.FAILED


def test_a_word_no_outcome_is_spelt_is_refused() -> None:
    with pytest.raises(ValueError, match="processed"):
        from_word("processed")
