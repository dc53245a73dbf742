"""Which OCI runtime podman uses here is probed, not assumed: Debian's podman defaults to crun where it
is installed, and crun cannot start a container under these machines' cgroups."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.containers.podman import NoRuntime, Podman


def test_podman_runs_containers_with_the_runtime_the_probe_chose(podman: Podman, base_image: str) -> None:
    chosen = podman("info", "--format", "{{.Host.OCIRuntime.Path}}").stdout.strip()

    started = podman("run", "--rm", "--network", "none", base_image, "echo", "started")

    assert Path(chosen).name in podman.runtimes
    assert started.stdout.strip() == "started"


def test_a_machine_where_no_runtime_starts_a_container_is_told_in_one_line_what_to_install(
    base_image: str, tmp_path: Path
) -> None:
    # GIVEN a runtime that refuses to start anything, as crun does here, and a runtime not installed
    refusing = tmp_path / "refusing-runtime"
    refusing.write_text("#!/bin/sh\necho 'cgroups in hybrid mode not supported' >&2\nexit 1\n", encoding="utf-8")
    refusing.chmod(0o755)
    podman = Podman(tmp_path / "config", runtimes=(str(refusing), "no-such-runtime"))

    # WHEN podman looks for a runtime that starts the base image
    with pytest.raises(NoRuntime) as raised:
        podman.select_runtime(base_image)

    # THEN one line says what each runtime did and what to install
    message = str(raised.value)
    assert "\n" not in message
    assert f"{refusing}: " in message and "cgroups in hybrid mode not supported" in message
    assert "no-such-runtime: not installed" in message
    assert "install runc" in message
