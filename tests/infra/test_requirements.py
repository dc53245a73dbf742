"""Every dependency is pinned, not only the ones we name: requirements*.in name them, ``make lock``
pins their whole closure in requirements*.txt, which the images and virtualenvs install."""

from __future__ import annotations

import re
from importlib import metadata
from pathlib import Path

import pytest
from packaging.requirements import Requirement

from tests.infra.support import REPO_ROOT

_PIN = re.compile(r"^([A-Za-z0-9._-]+)==([^\s#]+)")


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _pins(path: Path) -> dict[str, str]:
    pins: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        match = _PIN.match(line)
        assert match, f"{path.name}: {line!r} is not pinned with =="
        pins[_canonical(match[1])] = match[2]
    return pins


def _named(path: Path) -> dict[str, Requirement]:
    named: dict[str, Requirement] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line and not line.startswith("-"):
            requirement = Requirement(line)
            named[_canonical(requirement.name)] = requirement
    return named


@pytest.mark.parametrize("name", ["requirements", "requirements-dev", "requirements-checkov"])
def test_the_lock_pins_what_the_in_file_names(name: str) -> None:
    pins = _pins(REPO_ROOT / f"{name}.txt")
    for package, requirement in _named(REPO_ROOT / f"{name}.in").items():
        assert package in pins, f"{name}.txt lacks {package}: run make lock"
        assert requirement.specifier.contains(pins[package], prereleases=True), f"{name}.txt: {package} is stale"


def test_the_dev_lock_agrees_with_the_runtime_lock() -> None:
    runtime, dev = _pins(REPO_ROOT / "requirements.txt"), _pins(REPO_ROOT / "requirements-dev.txt")
    assert {package: dev.get(package) for package in runtime} == runtime


def test_the_runtime_lock_holds_the_whole_closure() -> None:
    """Each pinned distribution's own requirements (as installed in this virtualenv, at the pinned
    versions) are pinned too, at versions they accept."""
    pins = _pins(REPO_ROOT / "requirements.txt")
    for package, version in pins.items():
        assert metadata.version(package) == version, f"this virtualenv has {package} {metadata.version(package)}"
        for text in metadata.requires(package) or []:
            requirement = Requirement(text)
            if requirement.marker is not None and not requirement.marker.evaluate({"extra": ""}):
                continue
            dependency = _canonical(requirement.name)
            assert dependency in pins, f"{package} needs {requirement}, which requirements.txt does not pin"
            assert requirement.specifier.contains(pins[dependency], prereleases=True), (package, requirement)
