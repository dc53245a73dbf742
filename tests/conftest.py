"""Fixtures shared by every test folder, among them one live system for the e2e and contract tests."""

from __future__ import annotations

import logging
import os
import sys
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from embedded.processes import ManagedProcess, answers, free_port, wait_until
from embedded.system import EmbeddedSystem
from tests.e2e.client import Api, Aws
from tests.systems import running_system

REPO_ROOT = Path(__file__).resolve().parent.parent
# Folders whose tests share one session system (or build images): under `pytest -n`, each runs in
# one process of the suite, so that its system starts once per run; other tests are spread by module.
_WHOLE_FOLDERS = ("tests/chaos/", "tests/containers/", "tests/faults/", "tests/website/")


def _scope(nodeid: str) -> str:
    """The unit of work a process of the suite takes: a whole folder of ``_WHOLE_FOLDERS``, else a module."""
    folder = next((f for f in _WHOLE_FOLDERS if nodeid.startswith(f)), None)
    return folder or nodeid.split("::", 1)[0]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test named whole; then the scopes holding a ``slow`` test first, each kept whole and in
    collection order: handed out first, the long ones overlap, and the many short ones fill the
    processes' ends evenly.

    schemathesis names its tests ``test_x[GET /mysfits]`` but gives them all the node id of
    ``test_x``, and pytest-xdist, which hands tests out by node id, ran one operation of each and
    dropped the rest without a word (22 tests): each node id gets its test's name back."""
    for item in items:
        prefix, _, last = item.nodeid.rpartition("::")
        if last != item.name:
            ancestor = item.parent
            while ancestor is not None and ancestor.nodeid != prefix:
                ancestor = ancestor.parent
            if ancestor is not None:
                item._id = ancestor.id.child(item.name)  # pytest keeps a node's id there (no public setter)
    slow = {_scope(item.nodeid) for item in items if item.get_closest_marker("slow")}
    first_seen: dict[str, int] = {}
    for index, item in enumerate(items):
        first_seen.setdefault(_scope(item.nodeid), index)
    items.sort(key=lambda item: (_scope(item.nodeid) not in slow, first_seen[_scope(item.nodeid)]))


def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    from xdist.scheduler import LoadScopeScheduling

    class SharedSystems(LoadScopeScheduling):
        """xdist's scheduling by scope, with our scopes, handed out in the order collection left them."""

        def __init__(self, config: pytest.Config, log: Any = None) -> None:
            super().__init__(config, log)
            config.option.loadscopereorder = False  # else xdist hands out the scopes with most tests first

        def _split_scope(self, nodeid: str) -> str:
            return _scope(nodeid)

    return SharedSystems(config, log)


@pytest.fixture(scope="session")
def output_dir() -> Path:
    """Where a test run leaves what a reviewer may want to look at: logs, screenshots (a folder per
    process of the suite when it runs on several)."""
    root = Path(os.environ.get("TEST_OUTPUT_DIR", REPO_ROOT / "test-output"))
    run = os.environ.get("PYTEST_XDIST_TESTRUNUID", "")[:8] or time.strftime("%Y%m%d-%H%M%S")
    path = root / run / os.environ.get("PYTEST_XDIST_WORKER", "main")
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture(autouse=True)
def _root_logging_restored() -> Iterator[None]:
    """The command-line tools' ``main`` configures the root logger; the next test gets it back."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


@pytest.fixture(scope="session", autouse=True)
def _aws_environment() -> Iterator[None]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("AWS_ACCESS_KEY_ID", "testing")
        patch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
        patch.setenv("AWS_DEFAULT_REGION", "us-east-1")
        patch.delenv("AWS_ENDPOINT_URL", raising=False)
        yield


@pytest.fixture(scope="session")
def emulator_log(output_dir: Path) -> Path:
    return output_dir / "emulator" / "emulator.log"


@contextmanager
def running_emulator(log_path: Path, **env: str) -> Iterator[str]:
    """``python -m embedded.emulator`` on a free port, alone, with ``env`` added; yields its URL."""
    port = free_port()
    process = ManagedProcess(
        "emulator",
        [sys.executable, "-m", "embedded.emulator", "-H", "127.0.0.1", "-p", str(port)],
        {**os.environ, **env},
        log_path,
    ).start()
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until(lambda: answers(url) or not process.running, 30, f"the emulator at {url}")
        assert process.running, f"the emulator exited with {process.returncode}; see {process.log_path}"
        yield url
    finally:
        process.stop(timeout=5)


@pytest.fixture(scope="session")
def emulator(emulator_log: Path) -> Iterator[str]:
    """The embedded emulator the session's systems share, as `make run` runs it: its TTL sweeps and
    queue metrics at their default pace (every 5 s and 60 s). Each round visits every table and queue
    the run has deployed, so a faster pace here would cost the whole run CPU; the tests that watch
    those rounds use ``fast_emulator``."""
    with running_emulator(emulator_log) as url:
        yield url


@pytest.fixture(scope="session")
def fast_emulator(output_dir: Path) -> Iterator[str]:
    """An emulator for watching its background rounds: expired items swept every 0.2 s, queue metrics
    put every 0.3 s."""
    log = output_dir / "fast-emulator" / "emulator.log"
    with running_emulator(log, EMULATOR_TTL_SWEEP_SECONDS="0.2", EMULATOR_SQS_METRICS_SECONDS="0.3") as url:
        yield url


@pytest.fixture(scope="session")
def system(emulator: str, output_dir: Path) -> Iterator[EmbeddedSystem]:
    """The system of the e2e and contract tests, with its website, on the session's emulator (its
    project is not the default one, which the infrastructure tests deploy there as AWS would)."""
    with running_system(
        output_dir,
        "e2e-system",
        endpoint_url=emulator,
        project="e2e",
        serve_website=True,
        cors_allowed_origins=("http://127.0.0.1",),
    ) as running:
        yield running


@pytest.fixture(scope="session")
def api(system: EmbeddedSystem) -> Iterator[Api]:
    with Api(system.api_url) as api:
        yield api


@pytest.fixture(scope="session")
def internal(system: EmbeddedSystem) -> Iterator[Api]:
    """The monolith's internal port, the workers' way in: the fulfil and readiness routes (and the public ones)."""
    with Api(system.internal_url) as internal:
        yield internal


@pytest.fixture(scope="session")
def aws(system: EmbeddedSystem) -> Aws:
    assert system.topology is not None
    return Aws(system.endpoint_url, system.topology)


@pytest.fixture
def mysfit_id(aws: Aws) -> str:
    """A new mysfit of this test's own, so tests sharing the system do not see each other's likes."""
    return aws.add_mysfit(f"test-{uuid.uuid4()}")


@pytest.fixture
def pool() -> Iterator[ThreadPoolExecutor]:
    with ThreadPoolExecutor(max_workers=10) as executor:
        yield executor
