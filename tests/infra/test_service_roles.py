"""ECS's service-linked role, created before the first stack that needs it (botocore's Stubber: the
emulator's IAM names the role differently and never answers "has been taken")."""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from deploy.errors import DeployFailure
from deploy.service_roles import ECS_SERVICE_LINKED_ROLE, ensure_ecs_service_linked_role

ROLE = {
    "Path": "/aws-service-role/ecs.amazonaws.com/",
    "RoleName": ECS_SERVICE_LINKED_ROLE,
    "RoleId": "AROAEXAMPLEEXAMPLE123",
    "Arn": f"arn:aws:iam::111122223333:role/aws-service-role/ecs.amazonaws.com/{ECS_SERVICE_LINKED_ROLE}",
    "CreateDate": datetime.datetime(2026, 11, 30, tzinfo=datetime.UTC),
}
#: GetRole's answer; the waiter matches its HTTP status, which a stubbed answer carries only if given.
FOUND = {"Role": ROLE, "ResponseMetadata": {"HTTPStatusCode": 200}}


@pytest.fixture
def iam() -> Iterator[tuple[Any, Stubber]]:
    client = boto3.session.Session(
        aws_access_key_id="testing", aws_secret_access_key="testing", region_name="eu-west-1"
    ).client("iam")
    with Stubber(client) as stub:
        yield client, stub
        stub.assert_no_pending_responses()


def _absent(stub: Stubber) -> None:
    stub.add_client_error(
        "get_role",
        service_error_code="NoSuchEntity",
        service_message=f"The role with name {ECS_SERVICE_LINKED_ROLE} cannot be found.",
        expected_params={"RoleName": ECS_SERVICE_LINKED_ROLE},
    )


def _creation_refused(stub: Stubber, code: str, message: str) -> None:
    stub.add_client_error(
        "create_service_linked_role",
        service_error_code=code,
        service_message=message,
        expected_params={"AWSServiceName": "ecs.amazonaws.com"},
    )


def test_an_existing_role_is_left_alone(iam: tuple[Any, Stubber]) -> None:
    client, stub = iam
    stub.add_response("get_role", FOUND, {"RoleName": ECS_SERVICE_LINKED_ROLE})

    assert ensure_ecs_service_linked_role(client, poll_delay=0.01, timeout=1) is False  # no CreateServiceLinkedRole


def test_a_missing_role_is_created_and_waited_for_until_iam_returns_it(iam: tuple[Any, Stubber]) -> None:
    client, stub = iam
    _absent(stub)
    stub.add_response("create_service_linked_role", {"Role": ROLE}, {"AWSServiceName": "ecs.amazonaws.com"})
    _absent(stub)  # IAM is eventually consistent: the waiter asks again
    stub.add_response("get_role", FOUND, {"RoleName": ECS_SERVICE_LINKED_ROLE})

    assert ensure_ecs_service_linked_role(client, poll_delay=0.01, timeout=1) is True


def test_a_role_another_deploy_just_created_is_taken_not_failed(iam: tuple[Any, Stubber]) -> None:
    client, stub = iam
    _absent(stub)
    _creation_refused(
        stub,
        "InvalidInput",
        "Service role name AWSServiceRoleForECS has been taken in this account, please try a different suffix.",
    )
    stub.add_response("get_role", FOUND, {"RoleName": ECS_SERVICE_LINKED_ROLE})

    assert ensure_ecs_service_linked_role(client, poll_delay=0.01, timeout=1) is False


def test_a_refusal_says_what_to_ask_an_administrator(iam: tuple[Any, Stubber]) -> None:
    client, stub = iam
    _absent(stub)
    _creation_refused(stub, "AccessDenied", "User is not authorized to perform: iam:CreateServiceLinkedRole")

    with pytest.raises(DeployFailure, match=r"create-service-linked-role --aws-service-name ecs\.amazonaws\.com"):
        ensure_ecs_service_linked_role(client, poll_delay=0.01, timeout=1)
