"""How a benchmark runs its system and reports it failing: one line that says where its logs are.
Not in bench/__init__.py: the bare baselines (bench.bare_app, bench.bare_consumer) import the
package, and must not load the system to be measured against it."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from deploy.cli import EXPECTED_FAILURES, explain
from deploy.endpoints import with_emulator_credentials
from embedded.system import SystemFailed
from mysfits_common.cli import report_failures

__all__ = ["SYSTEM_FAILURES", "report_benchmark"]

#: A process that exited, a port taken, a timeout, a request that failed; anything else is a bug.
SYSTEM_FAILURES: tuple[type[BaseException], ...] = (OSError, SystemFailed)


def report_benchmark(tool: str, action: Callable[[], object], logs: Path) -> int:
    """Run ``action`` against the emulator (any key does for it: some when the environment has
    none); its exit code, and one line for a failure, with ``logs`` named."""
    os.environ.update(with_emulator_credentials(os.environ))
    return report_failures(
        tool, action, expected=(*EXPECTED_FAILURES, *SYSTEM_FAILURES), explained=explain, note=f"logs: {logs}"
    )
