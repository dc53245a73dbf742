"""What an operator reads when ops fails: one line and an exit code a script can rely on."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError, NoCredentialsError, ProfileNotFound

from deploy.cli import Exit, explain
from deploy.endpoints import Endpoints
from deploy.stacks import MissingStack
from ops.output import table
from ops.target import Target


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (MissingStack("mysfits-data"), Exit.MISSING_STACK),
        (NoCredentialsError(), Exit.CREDENTIALS),
        (
            ClientError({"Error": {"Code": "InvalidClientTokenId", "Message": "bad"}}, "GetQueueAttributes"),
            Exit.CREDENTIALS,
        ),
        (ClientError({"Error": {"Code": "AccessDenied", "Message": "no"}}, "DescribeStacks"), Exit.CREDENTIALS),
        (EndpointConnectionError(endpoint_url="http://127.0.0.1:1"), Exit.UNREACHABLE),
        (ProfileNotFound(profile="nope"), Exit.USAGE),
        (ClientError({"Error": {"Code": "Throttling", "Message": "slow down"}}, "Receive"), Exit.FAILED),
    ],
)
def test_each_failure_has_its_exit_code_and_one_line(error: Exception, code: Exit) -> None:
    failure = explain(error)

    assert failure.code == code
    assert "\n" not in str(failure)


@pytest.mark.parametrize(
    ("env", "local"),
    [
        ({"AWS_ENDPOINT_URL": "http://127.0.0.1:4566"}, True),
        ({"AWS_ENDPOINT_URL": "http://localhost:4566"}, True),
        ({}, False),
        (
            {
                "AWS_ENDPOINT_URL": "http://127.0.0.1:4566",
                "AWS_ENDPOINT_URL_SQS": "https://sqs.eu-west-1.amazonaws.com",
            },
            False,
        ),
        ({"AWS_ENDPOINT_URL": "http://10.0.0.5:4566"}, False),
    ],
)
def test_a_target_is_local_only_when_every_service_is_on_this_machine(env: dict[str, str], local: bool) -> None:
    assert Target("mysfits", Endpoints(env)).is_local() is local


def test_a_table_pads_its_columns_and_shows_none_as_a_dash() -> None:
    assert table(["queue", "visible"], [["like", 3], ["adoption DLQ", None]]).splitlines() == [
        "queue         visible",
        "------------  -------",
        "like          3",
        "adoption DLQ  -",
    ]
