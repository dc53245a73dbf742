"""Fixtures for the container tests: podman, the three images built from the Dockerfile's targets, and the
data and messaging stacks deployed to the session's emulator for the containers to use."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest

from deploy.local import deploy_local_topology
from deploy.topology import Topology, data_stack_name, messaging_stack_name
from tests.containers.podman import NoRuntime, Podman, PodmanError
from tests.containers.tasks import FargateTasks

REPO_ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = REPO_ROOT / "Dockerfile"
# Container names in services.yaml, which are also the Dockerfile's stages.
IMAGES = ("monolith", "like-worker", "adopt-worker")


def _base_image(dockerfile: Path) -> str:
    lines = dockerfile.read_text(encoding="utf-8").splitlines()
    return next(line.split()[1] for line in lines if line.startswith("FROM "))


def _cannot_run_containers(why: str) -> None:
    """Fails in CI, where the container tests must run, with one line; skips elsewhere."""
    if os.environ.get("CI"):
        pytest.fail(why, pytrace=False)
    pytest.skip(why)


@pytest.fixture(scope="session")
def base_image(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The Dockerfile's base image, made here from Debian's packages if podman does not have it."""
    tools = (shutil.which("podman"), shutil.which("debootstrap", path=f"/usr/sbin:/sbin:{os.environ['PATH']}"))
    if None in tools:
        _cannot_run_containers("podman and debootstrap are not installed (`make test` installs them)")
    return Podman(tmp_path_factory.mktemp("podman-base")).ensure_base_image(_base_image(DOCKERFILE))


@pytest.fixture(scope="session")
def podman(tmp_path_factory: pytest.TempPathFactory, base_image: str) -> Podman:
    """podman with the first runtime that starts the base image on this machine."""
    podman = Podman(tmp_path_factory.mktemp("podman"))
    try:
        podman.select_runtime(base_image)
    except NoRuntime as error:
        _cannot_run_containers(str(error))
    return podman


@pytest.fixture(scope="session")
def images(podman: Podman) -> dict[str, str]:
    """Container name -> image, built from the repository's Dockerfile unchanged (cached by podman)."""
    built: dict[str, str] = {}
    for container in IMAGES:
        tag = f"localhost/mysfits/{container}:test"
        try:
            podman.build(REPO_ROOT, DOCKERFILE, tag, extra=("--format", "docker", "--target", container))
        except PodmanError as error:
            pytest.fail(str(error))
        built[container] = tag
    return built


@pytest.fixture(scope="module")
def stacks(emulator: str) -> tuple[str, Topology, dict[str, str]]:
    """The data and messaging stacks of a project of this module's own; (project, topology, exports)."""
    project = f"fargate-{uuid.uuid4().hex[:8]}"
    topology = deploy_local_topology(emulator, project=project, max_receive_count=3, visibility_timeout=30)
    cloudformation = boto3.session.Session(region_name="us-east-1").client("cloudformation", endpoint_url=emulator)
    # Only this project's exports: other tests' stacks share the emulator (moto lists an export
    # whose value it could not resolve, of a resource type it skips, with no Value at all).
    exports = {
        export["Name"]: export["Value"]
        for page in cloudformation.get_paginator("list_exports").paginate()
        for export in page["Exports"]
        if export["Name"].startswith(f"{project}-")
    }
    assert f"{data_stack_name(project)}-MysfitsTableName" in exports
    assert f"{messaging_stack_name(project)}-EventsTopicArn" in exports
    return project, topology, exports


@pytest.fixture
def tasks(podman: Podman, tmp_path: Path, output_dir: Path) -> Iterator[FargateTasks]:
    running = FargateTasks(podman, tmp_path, output_dir / "containers")
    try:
        yield running
    finally:
        running.remove_all()
