"""`python -m bench --quick` keeps working: it runs the whole pipeline and prints its table.

Figures are never asserted on speed; only that each was measured (present, and not zero).
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from bench.__main__ import STEPS
from tests.conftest import REPO_ROOT

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

FIGURES = (
    "AWS requests per like at saturation",
    "our CPU s per 1,000 likes",
    "drain likes/s from a full queue",
    "  raw receive-and-delete ceiling /s",
    "like-to-visible p50 ms, light load",
    "like-to-visible p99 ms, light load",
    "peak RSS MB, monolith",
    "peak RSS MB, like_worker",
)


def _figure(table: str, label: str) -> tuple[float, str]:
    """The measured figure of a row, and the rest of the row (its baseline, ratio and target)."""
    match = re.search(rf"^{re.escape(label)}\s+([0-9.]+)(.*)$", table, re.MULTILINE)
    assert match, f"no row {label!r} in:\n{table}"
    return float(match.group(1)), match.group(2)


def test_the_quick_bench_prints_every_figure_next_to_its_baseline(output_dir: Path) -> None:
    finished = subprocess.run(
        [sys.executable, "-m", "bench", "--quick", "--log-dir", str(output_dir / "bench-quick")],
        cwd=REPO_ROOT, capture_output=True, text=True, timeout=600,
    )

    assert finished.returncode == 0, finished.stderr[-3000:]
    assert f"[1/{STEPS}] starting the embedded system" in finished.stderr
    for label in FIGURES:
        measured, _ = _figure(finished.stdout, label)
        assert measured > 0, f"{label}: {measured}"
    for label in FIGURES[:3]:
        baseline = re.match(r"\s+([0-9.]+) ", _figure(finished.stdout, label)[1])
        assert baseline and float(baseline.group(1)) > 0, f"{label} has no baseline"
    assert "exactly once: yes" in finished.stdout


@pytest.mark.parametrize("baseline", ["bench.bare_app", "bench.bare_consumer"])
def test_a_bare_baseline_loads_nothing_of_the_system_it_is_measured_against(baseline: str) -> None:
    # Its peak RSS and start-up are the baseline of the real processes': our packages would inflate them.
    code = (
        f"import sys, {baseline}; "
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'embedded', 'deploy', 'monolith', 'ops', 'yaml'}))"
    )
    loaded = subprocess.run([sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True, text=True, check=True)
    assert loaded.stdout.strip() == "[]"
