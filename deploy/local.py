"""Deploy the data and messaging stacks to a local emulator (the embedded one, LocalStack) or to AWS.

The same CloudFormation templates that AWS gets are deployed, as plain CloudFormation. Where moto's
CloudFormation falls short, the embedded emulator itself is fixed (:mod:`embedded.emulator`).
"""

from __future__ import annotations

from functools import partial
from pathlib import Path

from deploy.endpoints import Endpoints
from deploy.indexes import step_through_indexes
from deploy.stacks import deploy_stack
from deploy.topology import Topology, data_stack_name, messaging_stack_name, topology_from_outputs
from monolith.config import ADOPT_MODE, LIKE_MODE, Mode
from monolith.seed import seed_table
from mysfits_common.settings import Setting, text, whole_number
from mysfits_common.worker_settings import WORKER_VISIBILITY_TIMEOUT

__all__ = [
    "DATA_TEMPLATE",
    "MAX_RECEIVE_COUNT",
    "MESSAGING_TEMPLATE",
    "PROJECT_NAME",
    "TEMPLATE_DIR",
    "deploy_local_topology",
    "seed_topology",
]

TEMPLATE_DIR = Path(__file__).resolve().parent.parent / "infra" / "cloudformation"
DATA_TEMPLATE = TEMPLATE_DIR / "data.yaml"
MESSAGING_TEMPLATE = TEMPLATE_DIR / "messaging.yaml"

# The local deploy's own variables (the runner's and LocalStack's hook); the queues' visibility
# timeout and the switch's initial modes are the worker's and the monolith's variables.
PROJECT_NAME = Setting("PROJECT_NAME", "mysfits", text)
MAX_RECEIVE_COUNT = Setting("MAX_RECEIVE_COUNT", 5, whole_number)

# Emulators finish stack operations in well under a second; AWS's waiters default to 30 s polls.
_LOCAL_POLL_DELAY = 1.0
_LOCAL_TIMEOUT = 120.0


def _as_endpoints(endpoints: Endpoints | str | None) -> Endpoints:
    """None: this process's environment; a URL: every service there."""
    if isinstance(endpoints, Endpoints):
        return endpoints
    return Endpoints() if endpoints is None else Endpoints.single(endpoints)


def deploy_local_topology(
    endpoints: Endpoints | str | None = None,
    project: str = PROJECT_NAME.default,
    max_receive_count: int = MAX_RECEIVE_COUNT.default,
    visibility_timeout: int = WORKER_VISIBILITY_TIMEOUT.default,
    like_mode: Mode = LIKE_MODE.default,
    adopt_mode: Mode = ADOPT_MODE.default,
) -> Topology:
    """Deploy ``data.yaml`` as ``{project}-data`` and ``messaging.yaml`` as ``{project}-messaging``
    and return the topology.

    Each template goes through the CloudFormation that sits with its resources: the data template
    where DynamoDB's endpoint points, the messaging template where SNS's and SQS's do. ``endpoints``
    is boto3's standard configuration (None: this process's environment) or one URL for every
    service. Credentials come with the endpoints' environment, else from boto3's chain.
    Idempotent: a second call changes nothing.
    ``like_mode`` and ``adopt_mode`` are the strangler switch's initial positions (its SSM parameters
    change only when these values change, so a switch flipped with ``ops switch`` survives a re-run).
    """
    endpoints = _as_endpoints(endpoints)
    stacks = (
        (data_stack_name(project), DATA_TEMPLATE, {"ProjectName": project}, ("dynamodb",)),
        (
            messaging_stack_name(project),
            MESSAGING_TEMPLATE,
            {
                "ProjectName": project,
                "MaxReceiveCount": str(max_receive_count),
                "VisibilityTimeout": str(visibility_timeout),
                "LikeMode": like_mode,
                "AdoptMode": adopt_mode,
            },
            ("sns", "sqs", "ssm"),
        ),
    )
    outputs: dict[str, str] = {}
    for stack_name, template, parameters, services in stacks:
        deploy = partial(deploy_stack, endpoints.cloudformation_beside(*services), stack_name,
                         parameters=parameters, poll_delay=_LOCAL_POLL_DELAY, timeout=_LOCAL_TIMEOUT)
        if template == DATA_TEMPLATE:  # an index that changed, one change per update
            step_through_indexes(endpoints.client("dynamodb"), template, parameters, deploy,
                                 poll_delay=_LOCAL_POLL_DELAY, timeout=_LOCAL_TIMEOUT)
        outputs.update(deploy(template))

    return topology_from_outputs(outputs)


def seed_topology(endpoints: Endpoints | str | None, topology: Topology) -> int:
    """Add the catalogue's missing mysfits to the topology's table, where DynamoDB's endpoint points;
    return how many were added."""
    dynamodb = _as_endpoints(endpoints).client("dynamodb")
    return seed_table(dynamodb, topology.mysfits_table, topology.processed_events_table)
