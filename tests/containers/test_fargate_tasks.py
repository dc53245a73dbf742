"""The three images, built from the Dockerfile's three targets, run as their task definitions in ``services.yaml``
say (see :mod:`tests.containers.tasks`) against the embedded emulator: they become healthy, carry a
like and an adoption through the containerised monolith and workers, and stop in time on SIGTERM
with nothing lost."""

from __future__ import annotations

import secrets
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest

from deploy.topology import Topology, data_stack_name, messaging_stack_name
from embedded.processes import free_port
from tests.containers.conftest import IMAGES, REPO_ROOT
from tests.containers.task_definitions import ContainerDefinition, container_definitions
from tests.containers.tasks import FargateTasks
from tests.e2e.client import Api, Aws, eventually

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

SERVICES_TEMPLATE = REPO_ROOT / "infra" / "cloudformation" / "services.yaml"
LIKES_IN_FLIGHT = 40
IDLE_STOP_SECONDS = 30  # its 20 s long poll let answer (and returned), far under its 90 s stop timeout


@pytest.fixture
def definitions(stacks: tuple[str, Topology, dict[str, str]]) -> dict[str, ContainerDefinition]:
    project, _, exports = stacks
    parameters = {
        "ProjectName": project,
        "DataStack": data_stack_name(project),
        "MessagingStack": messaging_stack_name(project),
        "ContainerPort": str(free_port()),
        "InternalPort": str(free_port()),
        "AWS::Region": "us-east-1",
    }
    found = container_definitions(SERVICES_TEMPLATE, parameters, exports)
    assert set(found) == set(IMAGES)
    return found


def test_the_images_run_as_their_task_definitions_say(
    tasks: FargateTasks,
    images: dict[str, str],
    definitions: dict[str, ContainerDefinition],
    stacks: tuple[str, Topology, dict[str, str]],
    emulator: str,
) -> None:
    _, topology, _ = stacks
    fulfil_secret = {"FULFIL_SECRET": secrets.token_urlsafe(32)}
    platform = {  # what the platform provides: credentials (the task role's), region, and here the endpoint
        "AWS_ENDPOINT_URL": emulator,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_REGION": "us-east-1",
        "AWS_DEFAULT_REGION": "us-east-1",
    }

    def start(container: str) -> str:
        return tasks.run(definitions[container], images[container], fulfil_secret, platform)

    names = {container: start(container) for container in IMAGES}
    for name in names.values():
        tasks.wait_healthy(name)

    api = Api(f"http://127.0.0.1:{definitions['monolith'].environment['PORT']}")
    aws = Aws(emulator, topology)
    liked, adopted, busy = (aws.add_mysfit(f"fargate-{uuid.uuid4()}") for _ in range(3))
    assert api.like(liked).status_code == 202
    assert api.adopt(adopted).status_code == 202
    eventually(lambda: api.likes(liked), lambda likes: likes == 1, timeout=60)
    eventually(lambda: api.mysfit(adopted)["adopted"], bool, timeout=60)

    # SIGTERM while likes are in flight: the worker finishes or releases its batch, exits in time,
    # and the task that replaces it counts every like once.
    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(lambda _: api.like(busy).status_code, range(LIKES_IN_FLIGHT)))
    assert statuses == [202] * LIKES_IN_FLIGHT
    _assert_stops_in_time(tasks, names["like-worker"])
    names["like-worker"] = start("like-worker")
    tasks.wait_healthy(names["like-worker"])
    eventually(lambda: api.likes(busy), lambda likes: likes == LIKES_IN_FLIGHT, timeout=90)
    eventually(aws.drained, bool, timeout=60)
    assert aws.dead_letters() == 0
    assert api.likes(liked) == 1

    # Idle, each stops once its last poll has answered: no message is left invisible behind it.
    with ThreadPoolExecutor(max_workers=len(names)) as pool:
        list(pool.map(lambda name: _assert_stops_in_time(tasks, name, IDLE_STOP_SECONDS), names.values()))


def _assert_stops_in_time(tasks: FargateTasks, name: str, bound: float | None = None) -> None:
    timeout = tasks.started[name].stop_timeout
    stopped = tasks.stop(name)
    assert stopped.exit_code == 0, f"{name} exited with {stopped.exit_code}:\n{tasks.logs(name)}"
    assert stopped.seconds < timeout, f"{name} took {stopped.seconds:.1f} s of its {timeout} s"
    if bound is not None:
        assert stopped.seconds < bound, f"{name}, idle, took {stopped.seconds:.1f} s to stop"
