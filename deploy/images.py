"""The three container images: tagged with the git commit, built with docker, pushed to ECR.

A tag is never ``latest`` and never reused for different content: a tag already in ECR is not
rebuilt (the repositories' tags are immutable), and uncommitted changes to the images' inputs are
refused unless the tag says so (``<sha>-dirty-<UTC time>``).
"""

from __future__ import annotations

import base64
import logging
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from botocore.exceptions import ClientError

from deploy.errors import DeployFailure

__all__ = ["DOCKERFILE", "REPO_ROOT", "SERVICES", "CommandRunner", "Images", "Service", "run_command"]

logger = logging.getLogger(__name__)
REPO_ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Service:
    """One container image: its stage of the Dockerfile (named as the service) and the registry
    stack output naming its repository."""

    name: str
    repository_output: str


DOCKERFILE = "Dockerfile"
SERVICES = (
    Service("monolith", "MonolithRepositoryUri"),
    Service("like-worker", "LikeWorkerRepositoryUri"),
    Service("adopt-worker", "AdoptWorkerRepositoryUri"),
)
#: Inputs of the images: a change here (committed or not) changes what the SHA would name.
_IMAGE_INPUTS = (
    DOCKERFILE, "requirements.txt", ".dockerignore", "mysfits_common", "monolith", "like_worker", "adopt_worker"
)


class CommandRunner(Protocol):
    """``subprocess.run``'s shape, so tests can run no docker or git."""

    def __call__(
        self, args: Sequence[str], *, check: bool, cwd: Path, input: str | None = None, capture_output: bool = False
    ) -> subprocess.CompletedProcess[str]: ...


def run_command(
    args: Sequence[str], *, check: bool, cwd: Path, input: str | None = None, capture_output: bool = False
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(list(args), check=check, cwd=cwd, input=input, capture_output=capture_output, text=True)


@dataclass
class Images:
    run: CommandRunner
    now: Callable[[], float]
    allow_dirty: bool = False

    def tag(self) -> str:
        """The git commit SHA; with uncommitted changes to the images' inputs, refuse (or, with
        ``allow_dirty``, append ``-dirty-<UTC time>`` so that no tag names two different images)."""
        try:
            sha = self.run(["git", "rev-parse", "HEAD"], check=True, cwd=REPO_ROOT, capture_output=True).stdout.strip()
            status = self.run(
                ["git", "status", "--porcelain", "--", *_IMAGE_INPUTS], check=True, cwd=REPO_ROOT, capture_output=True
            ).stdout.strip()
        except (OSError, subprocess.CalledProcessError) as exc:
            raise DeployFailure(f"cannot read the git commit to tag the images with: {exc}") from exc
        if not status:
            return sha
        if not self.allow_dirty:
            raise DeployFailure(
                "the images' sources have uncommitted changes, so the commit SHA would not describe them:\n"
                f"{status}\ncommit them, or pass --allow-dirty to tag the images <sha>-dirty-<time>"
            )
        return f"{sha}-dirty-{time.strftime('%Y%m%d%H%M%S', time.gmtime(self.now()))}"

    def publish(self, ecr: Any, image_tag: str, registry: Mapping[str, str]) -> list[str]:
        """Build and push each image not yet in ECR under ``image_tag``; return the pushed URIs."""
        missing = [
            (service, registry[service.repository_output])
            for service in SERVICES
            if not _image_exists(ecr, registry[service.repository_output], image_tag)
        ]
        if not missing:
            logger.info("images %s are already in ECR", image_tag)
            return []
        self._login(ecr)
        pushed = []
        for service, repository_uri in missing:
            image = f"{repository_uri}:{image_tag}"
            logger.info("building %s", image)
            build = ["docker", "build", "--platform", "linux/amd64", "-f", DOCKERFILE, "--target", service.name]
            self._docker([*build, "-t", image, "."])
            self._docker(["docker", "push", image])
            pushed.append(image)
        return pushed

    def _login(self, ecr: Any) -> None:
        data = ecr.get_authorization_token()["authorizationData"][0]
        user, password = base64.b64decode(data["authorizationToken"]).decode().split(":", 1)
        registry = data["proxyEndpoint"].removeprefix("https://")
        self._docker(["docker", "login", "--username", user, "--password-stdin", registry], input=password)

    def _docker(self, args: Sequence[str], input: str | None = None) -> None:
        try:
            self.run(args, check=True, cwd=REPO_ROOT, input=input)
        except FileNotFoundError as exc:
            raise DeployFailure("the docker CLI is needed to build and push the images; install it") from exc
        except subprocess.CalledProcessError as exc:
            raise DeployFailure(f"`{' '.join(args[:3])} ...` failed with exit code {exc.returncode}") from exc


def _image_exists(ecr: Any, repository_uri: str, image_tag: str) -> bool:
    repository = repository_uri.split("/", 1)[1]
    try:
        ecr.describe_images(repositoryName=repository, imageIds=[{"imageTag": image_tag}])
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") == "ImageNotFoundException":
            return False
        raise
    return True
