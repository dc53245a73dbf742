"""The README's first command: `python -m embedded` serves the 12 mysfits, prints its URL, stops on Ctrl-C."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from embedded.processes import alive, descendants, free_port
from embedded.system import EmbeddedSystem
from monolith.seed import catalogue
from tests.conftest import REPO_ROOT
from tests.e2e.client import Api, Aws, eventually
from tests.systems import running_system

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


@pytest.fixture
def run_command(output_dir: Path) -> Iterator[tuple[subprocess.Popen[str], str, str]]:
    # A new user's machine: no AWS credentials, region or config file of any kind.
    env = {
        **{key: value for key, value in os.environ.items() if not key.startswith("AWS_")},
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        "API_PORT": str(free_port()),
        "EMULATOR_PORT": str(free_port()),
        "WEBSITE_PORT": str(free_port()),
        "PYTHONUNBUFFERED": "1",
    }
    log = (output_dir / "run-command.log").open("w")
    # Started as a shell starts a background job (`make run &`): with SIGINT ignored. Ctrl-C must
    # still stop it, and this way the test does not depend on how pytest itself was started.
    process = subprocess.Popen(
        [sys.executable, "-m", "embedded"],
        cwd=REPO_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=log,
        text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN),
    )
    try:
        assert process.stdout is not None
        deadline = time.monotonic() + 120
        urls: dict[str, str] = {}
        for line in process.stdout:
            match = re.search(r"(API|Website):\s+(http://127\.0\.0\.1:\d+)", line)
            if match:
                urls[match.group(1)] = match.group(2)
            if len(urls) == 2:
                yield process, urls["API"], urls["Website"]
                break
            assert time.monotonic() < deadline, "no URLs printed in time"
        else:
            pytest.fail(f"the run command exited with {process.wait()} before printing its URL")
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            process.wait(90)
        if process.stdout is not None:
            process.stdout.close()
        log.close()


def test_the_run_command_serves_the_catalogue_and_processes_a_like(
    run_command: tuple[subprocess.Popen[str], str, str],
) -> None:
    process, api_url, website_url = run_command
    api = Api(api_url)
    assert "<title>" in requests.get(website_url, timeout=5).text

    mysfits = api.get("/mysfits").json()["mysfits"]
    assert sorted(m["mysfitId"] for m in mysfits) == sorted(m.mysfit_id for m in catalogue())
    target = mysfits[0]["mysfitId"]
    assert api.like(target).status_code == 202
    eventually(lambda: api.likes(target), lambda likes: likes == 1, timeout=20)

    # Ctrl-C stops everything cleanly.
    process.send_signal(signal.SIGINT)
    assert process.wait(90) == 0
    with pytest.raises(requests.ConnectionError):
        requests.get(api_url, timeout=2)


def test_rerunning_on_a_live_emulator_keeps_its_data(
    system: EmbeddedSystem, api: Api, aws: Aws, output_dir: Path
) -> None:
    # GIVEN a catalogue mysfit with a like on the running system
    target = catalogue()[-1].mysfit_id
    before = api.likes(target) + 1
    api.like(target)
    eventually(lambda: api.likes(target), lambda likes: likes == before)

    # WHEN the system is deployed again against the same emulator
    with running_system(
        output_dir, "rerun", endpoint_url=system.endpoint_url, project=system.config.project, run_workers=False
    ) as second:
        second_api = Api(second.api_url)
        ids = [m["mysfitId"] for m in second_api.get("/mysfits").json()["mysfits"]]

        # THEN nothing is duplicated or reset, and there is still one subscription per queue
        assert len(ids) == len(set(ids))
        assert second_api.likes(target) == before
    subscriptions = aws.sns.list_subscriptions_by_topic(TopicArn=aws.topology.events_topic_arn)["Subscriptions"]
    queues = [aws.topology.queues["like"].url, aws.topology.queues["adoption"].url]
    arns = [
        aws.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        for url in queues
    ]
    assert sorted(s["Endpoint"] for s in subscriptions) == sorted(arns)


def test_the_system_dies_with_a_runner_killed_outright(run_command: tuple[subprocess.Popen[str], str, str]) -> None:
    # GIVEN the running system: emulator, gunicorn and its workers, both workers
    process, api_url, _website_url = run_command
    children = set(descendants(process.pid))
    assert len(children) >= 5

    # WHEN the runner is killed with no chance to stop them (SIGKILL, a terminal closed)
    process.kill()
    process.wait(10)

    # THEN they stop too, and the API's port is free for the next `make run`
    eventually(lambda: {pid for pid in children if alive(pid)}, lambda running: not running, timeout=60)
    with pytest.raises(requests.ConnectionError):
        requests.get(api_url, timeout=2)
