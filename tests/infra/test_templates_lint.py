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


@pytest.fixture(scope="module")
def findings() -> dict[str, list[str]]:
    """One cfn-lint run over every template (it starts slowly: once, not once per template), its
    findings by template file."""
    command = [*venv_command("cfn-lint", "cfnlint.runner:main"), "--format", "parseable", "--", *map(str, TEMPLATES)]
    result = subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)
    by_template: dict[str, list[str]] = {str(path): [] for path in TEMPLATES}
    for line in result.stdout.splitlines():
        path = line.split(":", 1)[0]
        by_template.setdefault(path, []).append(line)
    # cfn-lint's exit code is a bit mask: 2 errors, 4 warnings (8 informational, not checked by default).
    # A non-zero code with no finding means cfn-lint itself failed.
    assert result.returncode == 0 or any(by_template.values()), (
        f"cfn-lint exited {result.returncode} without a finding:\n{result.stdout}{result.stderr}"
    )
    assert set(by_template) == {str(path) for path in TEMPLATES}, f"findings for other paths:\n{result.stdout}"
    return by_template


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda path: path.name)
def test_cfn_lint_is_clean(template: Path, findings: dict[str, list[str]]) -> None:
    assert findings[str(template)] == [], f"cfn-lint {template.name}:\n" + "\n".join(findings[str(template)])
