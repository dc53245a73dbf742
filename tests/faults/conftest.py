"""A system for fault tests: the emulator behind a cuttable proxy, short visibility timeouts."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from embedded.processes import free_port
from embedded.system import EmbeddedSystem
from tests.e2e.client import Api, Aws
from tests.faults.proxy import CuttableProxy
from tests.systems import running_system

VISIBILITY_TIMEOUT = 5


@pytest.fixture(scope="session")
def proxy(emulator: str) -> Iterator[CuttableProxy]:
    """The session's emulator behind a proxy the fault tests can cut (its state outlives a cut)."""
    proxy = CuttableProxy(free_port(), int(emulator.rsplit(":", 1)[1])).start()
    yield proxy
    proxy.cut()


@pytest.fixture(scope="session")
def faulty(proxy: CuttableProxy, output_dir: Path) -> Iterator[EmbeddedSystem]:
    with running_system(
        output_dir,
        "faults",
        endpoint_url=proxy.url,
        project="faults",
        visibility_timeout=VISIBILITY_TIMEOUT,
        extra_env={"WORKER_BACKOFF_BASE_SECONDS": "1", "WORKER_BACKOFF_MAX_SECONDS": "4"},
    ) as running:
        yield running


@pytest.fixture(scope="session")
def faulty_api(faulty: EmbeddedSystem) -> Iterator[Api]:
    with Api(faulty.api_url) as api:
        yield api


@pytest.fixture(scope="session")
def faulty_aws(faulty: EmbeddedSystem) -> Aws:
    assert faulty.topology is not None
    return Aws(faulty.endpoint_url, faulty.topology)


@pytest.fixture(scope="session")
def report(output_dir: Path) -> Iterator[dict[str, Any]]:
    """Figures each fault test measures, written for docs/RELIABILITY.md at the end of the run."""
    figures: dict[str, Any] = {}
    yield figures
    (output_dir / "reliability.json").write_text(json.dumps(figures, indent=2))
