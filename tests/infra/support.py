"""Helpers shared by the infrastructure tests."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
TEMPLATE_DIR = REPO_ROOT / "infra" / "cloudformation"


def venv_command(script: str, module_main: str) -> list[str]:
    """The console script installed next to this interpreter, else ``python -c`` of its entry point."""
    candidate = Path(sys.executable).parent / script
    if candidate.exists():
        return [str(candidate)]
    found = shutil.which(script)
    if found:
        return [found]
    module, func = module_main.split(":")
    return [sys.executable, "-c", f"import sys; from {module} import {func}; sys.exit({func}())"]
