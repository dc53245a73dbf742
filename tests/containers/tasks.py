"""Run a container as Fargate runs its task definition, with podman, on the host's network.

What Fargate does and this does too:

- the root filesystem is read-only when the definition says so (and podman's habit of mounting a
  tmpfs at ``/tmp`` on a read-only root is switched off: Fargate does no such thing);
- a task volume without a host path is a bind mount of an empty directory owned by root, mode 0755,
  unless the image declares the container path as a ``VOLUME``, whose content and permissions are
  then copied in (podman's anonymous volumes do exactly that copy);
- the environment is the definition's, secrets arrive as environment variables, the user is the
  definition's (else the image's);
- the health check is the definition's command, run inside the container;
- a stop is SIGTERM, then SIGKILL after the definition's ``stopTimeout``.

Service Connect's name for the monolith (``monolith``) resolves to the host, where its container
listens. AWS credentials, region and endpoint are the platform's, here the emulator's.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path

from tests.containers.podman import Podman
from tests.containers.task_definitions import ContainerDefinition

__all__ = ["FargateTasks", "Stopped"]


@dataclass(frozen=True)
class Stopped:
    seconds: float
    exit_code: int


class FargateTasks:
    def __init__(self, podman: Podman, scratch: Path, log_dir: Path) -> None:
        self.podman = podman
        self.scratch = scratch
        self.log_dir = log_dir
        self.started: dict[str, ContainerDefinition] = {}

    def run(
        self, definition: ContainerDefinition, image: str, secrets: dict[str, str], platform_env: dict[str, str]
    ) -> str:
        """Start the container; returns its podman name."""
        name = f"{definition.name}-{time.monotonic_ns()}"
        args = ["run", "--detach", "--name", name, "--network", "host", "--add-host", "monolith:127.0.0.1"]
        if definition.read_only_root:
            args += ["--read-only", "--read-only-tmpfs=false"]
        if definition.user:
            args += ["--user", definition.user]
        declared = self._declared_volumes(image)
        for path in definition.mount_paths:
            if path in declared:
                args += ["--volume", path]  # anonymous: the image's content and permissions copied in
            else:
                host = self.scratch / f"{name}{path.replace('/', '-')}"
                host.mkdir(mode=0o755)
                host.chmod(0o755)  # whatever the umask: Fargate's empty bind mount is root's, 0755
                args += ["--volume", f"{host}:{path}"]
        assert set(secrets) == set(definition.secrets), "every secret of the definition, nothing else"
        for key, value in {**platform_env, **definition.environment, **secrets}.items():
            args += ["--env", f"{key}={value}"]
        args += ["--stop-timeout", str(definition.stop_timeout), image]
        self.podman(*args)
        self.started[name] = definition
        return name

    def healthy(self, name: str) -> bool:
        """One run of the definition's health check command inside the container."""
        check = self.started[name].health_check
        assert check is not None, f"{self.started[name].name} has no health check"
        result = self.podman("exec", name, *check.command, check=False, timeout=check.timeout + 5)
        return result.returncode == 0

    def wait_healthy(self, name: str) -> None:
        """Healthy within the start period plus the retries ECS allows, else AssertionError with logs."""
        check = self.started[name].health_check
        assert check is not None
        deadline = time.monotonic() + check.start_period + check.interval * check.retries
        while time.monotonic() < deadline:
            if not self.running(name):
                raise AssertionError(f"{name} exited with {self.exit_code(name)}:\n{self.logs(name)}")
            if self.healthy(name):
                return
            time.sleep(1)
        raise AssertionError(f"{name} never became healthy:\n{self.logs(name)}")

    def stop(self, name: str) -> Stopped:
        """SIGTERM, then SIGKILL after the definition's stop timeout, as ECS stops a task."""
        started = time.monotonic()
        timeout = self.started[name].stop_timeout
        self.podman("stop", "--time", str(timeout), name, timeout=timeout + 30)
        return Stopped(time.monotonic() - started, self.exit_code(name))

    def running(self, name: str) -> bool:
        return self._inspect(name, "{{.State.Running}}") == "true"

    def exit_code(self, name: str) -> int:
        return int(self._inspect(name, "{{.State.ExitCode}}"))

    def logs(self, name: str) -> str:
        result = self.podman("logs", name, check=False)
        return result.stdout + result.stderr

    def remove_all(self) -> None:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        for name in self.started:
            (self.log_dir / f"{name}.log").write_text(self.logs(name), encoding="utf-8")
            self.podman("rm", "--force", "--time", "0", "--volumes", name, check=False)
        self.started.clear()

    def _inspect(self, name: str, template: str) -> str:
        return self.podman("inspect", "--format", template, name).stdout.strip()

    def _declared_volumes(self, image: str) -> set[str]:
        config = json.loads(self.podman("image", "inspect", "--format", "{{json .Config}}", image).stdout)
        return set((config.get("Volumes") or {}).keys())
