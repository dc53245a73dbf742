"""Every CloudFormation template passes cfn-lint with neither errors nor warnings."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.infra.support import TEMPLATE_DIR, venv_command

TEMPLATES = sorted(TEMPLATE_DIR.glob("*.yaml")) + sorted(TEMPLATE_DIR.glob("*.yml"))


def test_there_are_templates() -> None:
    names = {path.name for path in TEMPLATES}
    assert {"data.yaml", "messaging.yaml"} <= names


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda path: path.name)
def test_cfn_lint_is_clean(template: Path) -> None:
    command = [*venv_command("cfn-lint", "cfnlint.runner:main"), "--format", "parseable", "--", str(template)]
    result = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    # cfn-lint's exit code is a bit mask: 2 errors, 4 warnings (8 informational, not checked by default).
    assert result.returncode == 0, (
        f"cfn-lint {template.name} exited {result.returncode}:\n{result.stdout}{result.stderr}"
    )
