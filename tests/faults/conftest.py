"""A system for fault tests: its emulator behind a cuttable proxy, short visibility timeouts."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from embedded.processes import ManagedProcess, answers, free_port, wait_until
from embedded.system import EmbeddedSystem, SystemConfig
from tests.e2e.client import Api, Aws
from tests.faults.proxy import CuttableProxy

VISIBILITY_TIMEOUT = 5


@pytest.fixture(scope="session")
def proxy(output_dir: Path) -> Iterator[CuttableProxy]:
    port = free_port()
    emulator = ManagedProcess(
        "emulator",
        [sys.executable, "-m", "embedded.emulator", "-H", "127.0.0.1", "-p", str(port)],
        {"PATH": "/usr/bin:/bin"},
        output_dir / "faults" / "emulator.log",
    ).start()
    try:
        wait_until(lambda: answers(f"http://127.0.0.1:{port}"), 30, "the fault tests' emulator")
        proxy = CuttableProxy(free_port(), port).start()
        yield proxy
        proxy.cut()
    finally:
        emulator.stop(timeout=5)


@pytest.fixture(scope="session")
def faulty(proxy: CuttableProxy, output_dir: Path) -> Iterator[EmbeddedSystem]:
    config = SystemConfig(
        api_port=free_port(),
        endpoint_url=proxy.url,
        serve_website=False,
        project="faults",
        visibility_timeout=VISIBILITY_TIMEOUT,
        log_dir=output_dir / "faults",
        extra_env={"WORKER_BACKOFF_BASE_SECONDS": "1", "WORKER_BACKOFF_MAX_SECONDS": "8"},
    )
    with EmbeddedSystem(config) as running:
        yield running


@pytest.fixture(scope="session")
def faulty_api(faulty: EmbeddedSystem) -> Api:
    return Api(faulty.api_url)


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
