"""Every command-line tool reports as mysfits_common.cli says: an expected failure is one line, ``<tool> failed:
<why>``, and a documented exit code; a bug keeps its traceback."""

from __future__ import annotations

import logging
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

import pytest

from bench import __main__ as bench_main
from bench import like_latency, soak
from deploy import localstack_init
from embedded.processes import free_port
from embedded.system import EmbeddedSystem, SystemFailed
from monolith import seed
from mysfits_common.cli import Exit
from tests.conftest import REPO_ROOT


@pytest.fixture(autouse=True)
def _temporary_directories_in_tmp_path(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """A benchmark without --log-dir makes one with mkdtemp: not in the machine's /tmp."""
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))


def _failure(stderr: str, tool: str) -> str:
    """The one line of an expected failure, after checking it is the only one of its kind."""
    assert "Traceback" not in stderr
    (line,) = [line for line in stderr.splitlines() if line.startswith(f"{tool} failed: ")]
    return line


def test_a_template_whose_services_are_at_two_endpoints_is_a_usage_failure(
    emulator: str, capsys: pytest.CaptureFixture[str]
) -> None:
    # GIVEN SQS moved to another endpoint, while SNS and SSM of the same template stay on the emulator
    env = {"AWS_ENDPOINT_URL": emulator, "AWS_ENDPOINT_URL_SQS": f"http://127.0.0.1:{free_port()}",
           "PROJECT_NAME": "mixedendpoints"}

    code = localstack_init.main(env)

    assert code == Exit.USAGE
    assert "must share an endpoint" in _failure(capsys.readouterr().err, "mysfits-init")


def test_a_max_receive_count_that_is_not_a_number_is_a_usage_failure(capsys: pytest.CaptureFixture[str]) -> None:
    code = localstack_init.main({"AWS_ENDPOINT_URL": f"http://127.0.0.1:{free_port()}", "MAX_RECEIVE_COUNT": "five"})

    assert code == Exit.USAGE
    assert _failure(capsys.readouterr().err, "mysfits-init") == (
        "mysfits-init failed: MAX_RECEIVE_COUNT must be a whole number, not 'five'"
    )


def test_seeding_an_unreachable_dynamodb_is_one_line_and_exit_5(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    unreachable = f"http://127.0.0.1:{free_port()}"
    monkeypatch.setenv("AWS_ENDPOINT_URL", unreachable)

    code = seed.main()

    assert code == Exit.UNREACHABLE
    assert unreachable in _failure(capsys.readouterr().err, "monolith.seed")


@pytest.mark.parametrize(
    ("name", "value", "why"),
    [
        ("LIKE_MODE", "sideways", "LIKE_MODE must be one of ('inline', 'queue'), not 'sideways'"),
        ("MAX_BODY_BYTES", "lots", "MAX_BODY_BYTES must be a whole number, not 'lots'"),
    ],
)
def test_a_seed_setting_that_cannot_be_used_is_a_usage_failure(
    name: str, value: str, why: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv(name, value)

    assert seed.main() == Exit.USAGE
    assert _failure(capsys.readouterr().err, "monolith.seed") == f"monolith.seed failed: {why}"


def test_the_seed_runs_from_the_monolith_image_which_has_no_deploy_folder(tmp_path: Path) -> None:
    # GIVEN what the monolith's image holds: monolith/ and mysfits_common/, not deploy/ or ops/
    for package in ("monolith", "mysfits_common"):
        shutil.copytree(REPO_ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__"))
    unreachable = f"http://127.0.0.1:{free_port()}"
    env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}

    # WHEN it seeds a DynamoDB that does not answer
    result = subprocess.run(
        [sys.executable, "-m", "monolith.seed"],
        cwd=tmp_path,
        env={**env, "AWS_ENDPOINT_URL": unreachable, "AWS_MAX_ATTEMPTS": "1"},
        capture_output=True,
        text=True,
        timeout=60,
    )

    # THEN it reports as every tool does: one line and exit 5
    assert result.returncode == Exit.UNREACHABLE, result.stderr
    assert unreachable in _failure(result.stderr, "monolith.seed")


def test_the_seed_logs_progress_as_the_other_tools_do(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(seed, "seed_table", lambda *_: 3)

    assert seed.main() == Exit.OK

    assert capsys.readouterr().err.splitlines() == [
        "monolith.seed INFO Catalogue seeded inserted=3 table=mysfits-mysfits"
    ]


@pytest.mark.parametrize(("tool", "main"), [("bench", bench_main.main), ("bench.soak", soak.main)])
def test_a_benchmark_whose_system_cannot_start_is_one_line_naming_its_logs(
    tool: str, main: Callable[[list[str]], int], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # GIVEN a log directory that cannot be created: the system fails before any process starts
    not_a_directory = tmp_path / "a-file"
    not_a_directory.write_text("")

    code = main(["--log-dir", str(not_a_directory)])

    assert code == Exit.FAILED
    line = _failure(capsys.readouterr().err, tool)
    assert line.endswith(f"(logs: {not_a_directory})")


def test_the_soak_logs_its_progress_as_the_other_tools_do(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    logs = tmp_path / "a-file"
    logs.write_text("")

    soak.main(["--log-dir", str(logs)])

    # a long run: each line starts with its time
    first = capsys.readouterr().err.splitlines()[0]
    time, line = first.split(" ", 1)
    assert re.fullmatch(r"\d\d:\d\d:\d\d", time)
    assert line == f"bench.soak INFO starting the embedded system (logs: {logs})"


def test_the_latency_comparison_whose_system_fails_to_start_is_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def monolith_exited(self: EmbeddedSystem) -> EmbeddedSystem:
        raise SystemFailed("the monolith exited with 3; see its log")

    monkeypatch.setattr(EmbeddedSystem, "start", monolith_exited)

    code = like_latency.main([])

    assert code == Exit.FAILED
    assert "the monolith exited with 3" in _failure(capsys.readouterr().err, "bench.like_latency")


def test_a_benchmark_logs_its_warnings_as_the_other_tools_do(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def warns(self: EmbeddedSystem) -> EmbeddedSystem:
        logging.getLogger("embedded.system").warning("like_worker exited with 1; restarting it")
        raise SystemFailed("stop here")

    monkeypatch.setattr(EmbeddedSystem, "start", warns)

    like_latency.main([])

    assert "bench.like_latency WARNING like_worker exited with 1; restarting it" in capsys.readouterr().err.splitlines()


def test_a_bug_in_a_benchmark_keeps_its_traceback(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(self: EmbeddedSystem) -> EmbeddedSystem:
        raise KeyError("MysfitsTableName")

    monkeypatch.setattr(EmbeddedSystem, "start", broken)

    with pytest.raises(KeyError):
        like_latency.main([])
