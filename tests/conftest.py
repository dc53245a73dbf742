"""Fixtures shared by every test folder."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def output_dir() -> Path:
    """Where a test run leaves what a reviewer may want to look at: logs, screenshots."""
    root = Path(os.environ.get("TEST_OUTPUT_DIR", REPO_ROOT / "test-output"))
    path = root / time.strftime("%Y%m%d-%H%M%S")
    path.mkdir(parents=True, exist_ok=True)
    return path
