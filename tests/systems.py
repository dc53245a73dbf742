"""Every embedded system the tests run, from one factory: free ports, logs under the run's output,
and an emulator shared unless a test needs one of its own (each system deploys its own stacks,
named after its project). The workers long-poll 2 s unless a test says otherwise: a stopping worker
lets its last poll answer (mysfits_common.polls), and a short one keeps every system's stop quick."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from embedded.config import SystemConfig
from embedded.processes import free_port
from embedded.system import EmbeddedSystem

__all__ = ["running_system", "system_config"]


def system_config(output_dir: Path, name: str, **overrides: Any) -> SystemConfig:
    """A test system's configuration; ``name`` is its log folder and, unless overridden, its project
    (never the default project, which the infrastructure tests deploy to the shared emulator)."""
    settings: dict[str, Any] = {
        "project": name,
        "api_port": free_port(),
        "emulator_port": free_port(),
        "website_port": 0,
        "serve_website": False,
        "log_dir": output_dir / name,
        "status_dir": output_dir / name / "status",  # the workers' status files, apart from make run's
        "worker_wait_seconds": 2,
        **overrides,
    }
    return SystemConfig(**settings)


@contextmanager
def running_system(output_dir: Path, name: str, **overrides: Any) -> Iterator[EmbeddedSystem]:
    with EmbeddedSystem(system_config(output_dir, name, **overrides)) as running:
        yield running
