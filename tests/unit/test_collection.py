"""Every collected test has a node id of its own: pytest-xdist hands tests out by node id, and runs
only one of the tests that share one."""

from __future__ import annotations

import subprocess
import sys
from collections import Counter

from tests.conftest import REPO_ROOT


def test_no_two_collected_tests_share_a_node_id() -> None:
    collected = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider", "tests/contract"],
        cwd=REPO_ROOT, capture_output=True, text=True, timeout=120, check=True,
    ).stdout
    node_ids = [line for line in collected.splitlines() if "::" in line]

    shared = {node_id: n for node_id, n in Counter(node_ids).items() if n > 1}
    assert node_ids and not shared
