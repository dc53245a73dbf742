"""The figures the deployment documents state agree with their own tables and with the code."""

from __future__ import annotations

import re

from monolith.fulfil import MAX_BATCH
from tests.infra.support import REPO_ROOT

DEPLOY_MD = REPO_ROOT / "docs" / "DEPLOY.md"
CAPACITY_MD = REPO_ROOT / "docs" / "CAPACITY.md"


def _amount(cell: str) -> float:
    """A table cell's dollars: ``65.70``, ``≈ 15``, ``≤ 8.40``, ``**≈ 198**``."""
    return float(re.sub(r"[^0-9.]", "", cell) or 0)


def _cost_table() -> list[list[str]]:
    text = DEPLOY_MD.read_text(encoding="utf-8")
    section = text[text.index("### Costs to expect") :]
    rows = [line for line in section.splitlines() if line.startswith("| ")]
    return [
        [cell.strip() for cell in row.strip("|").split("|")]
        for row in rows[: rows.index(next(r for r in rows if "total" in r)) + 1]
    ]


def test_each_idle_total_is_the_sum_of_its_column() -> None:
    (header, *items, total) = _cost_table()
    assert "total" in total[0] and len(items) > 10
    for column in range(1, len(header)):
        added = sum(_amount(row[column]) for row in items)
        assert round(added) == _amount(total[column]), (
            f"{header[column]}: rows add to {added:.2f}, total {total[column]}"
        )


def test_the_prose_quotes_the_default_total() -> None:
    (_, *_, total) = _cost_table()
    text = DEPLOY_MD.read_text(encoding="utf-8")
    (quoted,) = re.findall(r"of the default's \$(\d+)", text)
    assert int(quoted) == _amount(total[1])


def test_capacity_names_the_fulfil_batch_limit() -> None:
    text = CAPACITY_MD.read_text(encoding="utf-8")
    stated = {int(n) for n in re.findall(r"a fulfil takes up to (\d+) events", text)}
    assert stated == {MAX_BATCH}
