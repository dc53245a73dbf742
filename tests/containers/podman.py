"""Podman, set up to run images here the way Fargate runs them, and the stand-in for their base image.

No Docker engine and no image registry are reachable on these machines, but Debian's ``podman`` runs
containers as root with ``runc``. Three things make it work here:

- podman's default ulimits need ``CAP_SYS_RESOURCE``, which this sandbox lacks ("setting rlimit …
  operation not permitted"), so podman reads a ``containers.conf`` of ours with ``default_ulimits = []``;
- Debian's podman installs ``crun`` as its runtime where ``runc`` is absent, and crun cannot start a
  container under these machines' cgroups ("cgroups in hybrid mode not supported"), while podman keeps
  choosing crun as long as it is installed. So the runtime is not assumed: each installed runtime is
  tried on the base image, and the first that starts a container is written into that
  ``containers.conf`` (``[engine] runtime``), for builds and runs alike;
- the Dockerfile starts ``FROM python:3.11.x-slim-bookworm``, which no reachable registry serves, so a
  stand-in with the same name is made from Debian's own packages (``debootstrap``: bookworm's Python
  3.11, pip and venv). It builds the Dockerfile unchanged; it is kept, so only the first run pays.

The build cache of the images themselves is podman's own, kept between runs as well.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path

__all__ = ["NoRuntime", "Podman", "PodmanError"]

# bookworm's python3 is 3.11, as the real base image's; pip and venv as it has them.
_BASE_PACKAGES = "python3,python3-pip,python3-venv,ca-certificates"
_CA_BUNDLE = Path("/etc/ssl/certs/ca-certificates.crt")
# The OCI runtimes Debian packages for podman, the one known to work on these machines first.
RUNTIMES = ("runc", "crun")
_SBIN_PATH = f"/usr/sbin:/sbin:{os.environ.get('PATH', '')}"


class PodmanError(RuntimeError):
    """A podman command failed; the message carries its output."""


class NoRuntime(PodmanError):
    """No installed OCI runtime can start a container here; the message is one line saying why and what to do."""


class Podman:
    """The ``podman`` command line with this machine's configuration."""

    def __init__(self, config_dir: Path, runtimes: Sequence[str] = RUNTIMES) -> None:
        executable = shutil.which("podman")
        if executable is None:
            raise PodmanError("podman is not installed (`make test` installs it)")
        self.executable = executable
        self.runtimes = tuple(runtimes)
        config_dir.mkdir(parents=True, exist_ok=True)
        self.config_file = config_dir / "containers.conf"
        self._write_config(runtime=None)

    def _write_config(self, runtime: str | None) -> None:
        engine = "" if runtime is None else f'\n[engine]\nruntime = "{runtime}"\n'
        self.config_file.write_text(f"[containers]\ndefault_ulimits = []\n{engine}", encoding="utf-8")

    def select_runtime(self, image: str) -> str:
        """The first installed runtime that starts ``image`` here, from now on podman's; else NoRuntime.

        A runtime is a name or a path; its path is what podman is given, so the one tried is the one used.
        """
        failures: list[str] = []
        for runtime in self.runtimes:
            path = shutil.which(runtime, path=_SBIN_PATH)
            if path is None:
                failures.append(f"{runtime}: not installed")
                continue
            probe = self("--runtime", path, "run", "--rm", "--network", "none", image, "true", check=False, timeout=120)
            if probe.returncode == 0:
                self._write_config(runtime=path)
                return path
            failures.append(f"{runtime}: {_last_line(probe.stdout + probe.stderr)}")
        raise NoRuntime(
            f"no OCI runtime can start a container on this machine ({'; '.join(failures)}): "
            "install runc (`apt-get install runc`; `make test` installs it)"
        )

    def __call__(self, *args: str, check: bool = True, timeout: float = 600) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            [self.executable, *args],
            env={**os.environ, "CONTAINERS_CONF": str(self.config_file)},
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if check and result.returncode != 0:
            output = result.stdout + result.stderr
            raise PodmanError(f"podman {' '.join(args)} exited with {result.returncode}:\n{output}")
        return result

    def image_exists(self, name: str) -> bool:
        return self("image", "exists", name, check=False).returncode == 0

    def ensure_base_image(self, name: str) -> str:
        """Make ``name`` (``python:3.11.x-slim-bookworm``) from Debian's packages unless it exists; its full name."""
        qualified = name if "/" in name.split(":")[0] else f"docker.io/library/{name}"
        if self.image_exists(qualified):
            return qualified
        debootstrap = shutil.which("debootstrap") or "/usr/sbin/debootstrap"
        with tempfile.TemporaryDirectory(prefix="base-image-") as scratch:
            root = Path(scratch) / "root"
            subprocess.run(
                [debootstrap, "--variant=minbase", f"--include={_BASE_PACKAGES}", "bookworm", str(root)],
                capture_output=True,
                check=True,
                timeout=900,
            )
            (root / "usr/bin/python").symlink_to("python3")
            for marker in (root / "usr/lib").glob("python3*/EXTERNALLY-MANAGED"):
                marker.unlink()
            # pip reaches the package index through this machine's CA bundle (a proxy may sign it).
            shutil.copyfile(_CA_BUNDLE, root / "etc/ssl/certs/ca-certificates.crt")
            shutil.rmtree(root / "var/cache/apt/archives", ignore_errors=True)
            tar = subprocess.Popen(["tar", "-C", str(root), "-c", "."], stdout=subprocess.PIPE)
            assert tar.stdout is not None
            imported = subprocess.run(
                [self.executable, "import", "-", qualified],
                stdin=tar.stdout,
                env={**os.environ, "CONTAINERS_CONF": str(self.config_file)},
                capture_output=True,
                text=True,
                check=False,
            )
            tar.stdout.close()
            tar.wait()
            if imported.returncode != 0:
                raise PodmanError(f"podman import {qualified} failed:\n{imported.stderr}")
        return qualified

    def build(self, context: Path, dockerfile: Path, tag: str, extra: Sequence[str] = ()) -> None:
        """``podman build`` with the host's network (pip reaches the package index through it)."""
        self("build", "--network", "host", "-f", str(dockerfile), "-t", tag, *extra, str(context), timeout=1200)


def _last_line(output: str) -> str:
    """podman's last line of output, where its error is, without the ``Error:`` prefix it adds."""
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    return lines[-1].removeprefix("Error: ") if lines else "exited with no output"
