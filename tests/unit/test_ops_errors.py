"""What an operator reads when ops fails: one line and an exit code a script can rely on."""

from __future__ import annotations

import json
import logging
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError, EndpointConnectionError, NoCredentialsError, ProfileNotFound
from botocore.stub import Stubber

from deploy.cli import explain
from deploy.endpoints import Endpoints, MixedEndpoints
from deploy.stacks import MissingStack
from deploy.topology import Topology
from monolith.domain import DependencyUnavailable
from mysfits_common.cli import Exit
from ops import cli
from ops.output import table
from ops.target import Target
from tests.factories import like_queue

LIKE = like_queue()


def _wrapped(cause: Exception) -> DependencyUnavailable:
    """What the monolith's DynamoDB adapter raises for a botocore error."""
    try:
        raise DependencyUnavailable(str(cause)) from cause
    except DependencyUnavailable as error:
        return error


@pytest.fixture
def sqs(monkeypatch: pytest.MonkeyPatch) -> Any:
    """The SQS client every target hands out (to stub), and the like queue's names known without stacks."""
    client = boto3.client("sqs", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    pipeline = Topology(
        events_topic_arn="arn:aws:sns:us-east-1:123456789012:events",
        queues={"like": LIKE},
        mysfits_table="mysfits-mysfits",
        processed_events_table="mysfits-processed-events",
        mode_parameters={},
    )
    monkeypatch.setattr(Target, "pipeline", pipeline)
    monkeypatch.setattr(Target, "client", lambda self, service: client)
    return client


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
        (_wrapped(EndpointConnectionError(endpoint_url="http://127.0.0.1:1")), Exit.UNREACHABLE),
        (_wrapped(ClientError({"Error": {"Code": "AccessDenied", "Message": "no"}}, "PutItem")), Exit.CREDENTIALS),
        (DependencyUnavailable("mysfit nessie is busy"), Exit.UNREACHABLE),
        (_wrapped(ValueError("an answer it could not read")), Exit.UNREACHABLE),
        (_wrapped(ProfileNotFound(profile="nope")), Exit.USAGE),
        (MixedEndpoints("one template's services must share an endpoint: sns at AWS, sqs at http://b:2"), Exit.USAGE),
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


def test_a_bug_keeps_its_traceback(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(target: Target, args: object) -> int:
        raise KeyError("a bug")

    monkeypatch.setitem(cli._COMMANDS, "status", broken)

    with pytest.raises(KeyError, match="a bug"):
        cli.main(["status"])


def test_a_failed_move_task_is_one_line_and_exit_1(sqs: Any, capsys: pytest.CaptureFixture[str]) -> None:
    with Stubber(sqs) as stub:
        stub.add_response("start_message_move_task", {"TaskHandle": "task-1"})
        stub.add_response(
            "list_message_move_tasks",
            {"Results": [{"TaskHandle": "task-1", "Status": "FAILED", "FailureReason": "AccessDenied"}]},
        )

        code = cli.main(["redrive", "--queue", "like"])

    assert code == Exit.FAILED
    assert capsys.readouterr().err == "ops redrive failed: message move task FAILED: AccessDenied\n"


def test_a_bug_in_redrive_that_is_a_runtime_error_keeps_its_traceback(
    sqs: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    def unfinished(*_: object) -> int:
        raise NotImplementedError("list_message_move_tasks")

    monkeypatch.setattr(cli, "redrive", unfinished)

    with pytest.raises(NotImplementedError):
        cli.main(["redrive", "--queue", "like"])


def test_a_usage_failure_is_json_with_json(capsys: pytest.CaptureFixture[str]) -> None:
    code = cli.main(["switch", "like", "--json"])

    assert code == Exit.USAGE
    assert json.loads(capsys.readouterr().err)["error"]["code"] == "usage"


def test_ops_logs_as_the_other_tools_do(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    def warns(target: Target, args: object) -> int:
        logging.getLogger("ops.status").warning("no status files", extra={"dir": ".run/status"})
        return Exit.OK

    monkeypatch.setitem(cli._COMMANDS, "status", warns)

    assert cli.main(["status"]) == Exit.OK

    assert capsys.readouterr().err.splitlines() == ["ops status WARNING no status files dir=.run/status"]


def test_a_stack_without_its_outputs_is_one_line_and_exit_3(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # GIVEN a messaging stack whose first deploy rolled back: it exists, without outputs
    cfn = boto3.client("cloudformation", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    monkeypatch.setattr(Target, "client", lambda self, service: cfn)
    monkeypatch.setattr(Target, "_cloudformation_beside", lambda self, service: cfn)
    stacks = {
        "mysfits-data": ("CREATE_COMPLETE", {"MysfitsTableName": "t", "ProcessedEventsTableName": "p"}),
        "mysfits-messaging": ("ROLLBACK_COMPLETE", {}),
    }
    with Stubber(cfn) as stub:
        for name, (status, outputs) in stacks.items():
            stack = {"StackName": name, "CreationTime": "2026-12-01T00:00:00Z", "StackStatus": status}
            described = {**stack, "Outputs": [{"OutputKey": k, "OutputValue": v} for k, v in outputs.items()]}
            stub.add_response("describe_stacks", {"Stacks": [described]}, {"StackName": name})

        # WHEN ops reads the pipeline from it
        code = cli.main(["status", "--endpoint-url", "http://127.0.0.1:4566"])

    # THEN one line says which stack and what to do, with the missing-stack exit code
    err = capsys.readouterr().err
    assert code == Exit.MISSING_STACK
    assert "Traceback" not in err
    (line,) = [line for line in err.splitlines() if line.startswith("ops status failed: ")]
    assert "stack mysfits-messaging: ROLLBACK_COMPLETE, without the outputs EventsTopicArn" in line
