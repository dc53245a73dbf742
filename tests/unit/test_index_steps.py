"""The steps between a table's indexes and a template's: one index created or deleted each."""

from __future__ import annotations

from typing import Any

from deploy.indexes import index_steps


def _index(name: str, projection: str = "KEYS_ONLY") -> dict[str, Any]:
    return {"IndexName": name, "KeySchema": [{"AttributeName": name, "KeyType": "HASH"}],
            "Projection": {"ProjectionType": projection}}


def _names(steps: list[list[Any]]) -> list[list[tuple[str, str]]]:
    return [[(index["IndexName"], index["Projection"]["ProjectionType"]) for index in step] for step in steps]


def test_two_changed_projections_are_four_steps_each_index_rebuilt_before_the_next_goes() -> None:
    steps = index_steps([_index("A", "ALL"), _index("B", "ALL")], [_index("A"), _index("B")])

    assert _names(steps) == [
        [("B", "ALL")],
        [("B", "ALL"), ("A", "KEYS_ONLY")],
        [("A", "KEYS_ONLY")],
        [("A", "KEYS_ONLY"), ("B", "KEYS_ONLY")],  # the last step is the template, in its order
    ]


def test_indexes_as_wanted_need_no_step_and_added_or_removed_ones_one_each() -> None:
    assert index_steps([_index("A")], [_index("A")]) == []
    assert _names(index_steps([_index("A"), _index("B")], [_index("C")])) == [
        [("B", "KEYS_ONLY")], [], [("C", "KEYS_ONLY")]]
