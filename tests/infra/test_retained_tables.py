"""deploy.retained with botocore's Stubber: tables that outlived their data stack are imported into a
new one (moto's CloudFormation has no resource import, so the emulator cannot play this part)."""

from __future__ import annotations

import datetime
import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from deploy.retained import import_retained_tables, table_names
from deploy.stacks import DeployError
from deploy.templates import load_template
from tests.infra.support import TEMPLATE_DIR

DATA = TEMPLATE_DIR / "data.yaml"
STACK = "old-data"
TABLES = {"MysfitsTable": "old-mysfits", "ProcessedEventsTable": "old-processed-events"}
NOW = datetime.datetime(2026, 11, 30, tzinfo=datetime.UTC)


class Stubbed:
    def __init__(self) -> None:
        session = boto3.session.Session(aws_access_key_id="a", aws_secret_access_key="b", region_name="eu-west-1")
        self.cfn, self.dynamodb = session.client("cloudformation"), session.client("dynamodb")
        self.cfn_stub, self.dynamodb_stub = Stubber(self.cfn), Stubber(self.dynamodb)

    def stack_absent(self) -> None:
        self.cfn_stub.add_client_error(
            "describe_stacks",
            service_error_code="ValidationError",
            service_message=f"Stack with id {STACK} does not exist",
            expected_params={"StackName": STACK},
        )

    def stack(self, status: str) -> None:
        description = {"StackName": STACK, "CreationTime": NOW, "StackStatus": status}
        self.cfn_stub.add_response("describe_stacks", {"Stacks": [description]}, {"StackName": STACK})

    def tables(self, existing: set[str]) -> None:
        for table in TABLES.values():
            if table in existing:
                self.dynamodb_stub.add_response("describe_table", {"Table": {"TableName": table}}, {"TableName": table})
            else:
                self.dynamodb_stub.add_client_error(
                    "describe_table",
                    service_error_code="ResourceNotFoundException",
                    expected_params={"TableName": table},
                )

    def run(self) -> list[str]:
        return import_retained_tables(
            self.cfn,
            self.dynamodb,
            STACK,
            DATA,
            {"ProjectName": "old"},
            tags={"project": "old"},
            poll_delay=0.01,
            timeout=1,
        )


@pytest.fixture
def aws() -> Iterator[Stubbed]:
    stubbed = Stubbed()
    with stubbed.cfn_stub, stubbed.dynamodb_stub:
        yield stubbed
        stubbed.cfn_stub.assert_no_pending_responses()
        stubbed.dynamodb_stub.assert_no_pending_responses()


def test_table_names_follow_the_project() -> None:
    assert table_names(load_template(DATA), {"ProjectName": "old"}) == TABLES


@pytest.mark.parametrize("existing", [set(TABLES.values()), {"old-mysfits"}])
def test_retained_tables_are_imported_into_a_new_stack(aws: Stubbed, existing: set[str]) -> None:
    # GIVEN no data stack, and the tables an earlier one retained
    aws.stack_absent()
    aws.tables(existing)
    captured: dict[str, Any] = {}
    aws.cfn.meta.events.register(
        "provide-client-params.cloudformation.CreateChangeSet", lambda params, **_: captured.update(params)
    )
    aws.cfn_stub.add_response("create_change_set", {"Id": "cs", "StackId": STACK})
    aws.cfn_stub.add_response(
        "describe_change_set",
        {"Status": "CREATE_COMPLETE", "ChangeSetName": "import-retained-tables"},
        {"StackName": STACK, "ChangeSetName": "import-retained-tables"},
    )
    aws.cfn_stub.add_response("execute_change_set", {}, {"StackName": STACK, "ChangeSetName": "import-retained-tables"})
    aws.stack("IMPORT_COMPLETE")

    # WHEN
    imported = aws.run()

    # THEN an IMPORT change set adopted exactly the tables found, from the template without outputs
    assert imported == sorted(existing)
    assert captured["ChangeSetType"] == "IMPORT"
    assert captured["ResourcesToImport"] == [
        {
            "ResourceType": "AWS::DynamoDB::Table",
            "LogicalResourceId": logical,
            "ResourceIdentifier": {"TableName": name},
        }
        for logical, name in TABLES.items()
        if name in existing
    ]
    template = json.loads(captured["TemplateBody"])
    assert "Outputs" not in template
    assert set(template["Resources"]) == {logical for logical, name in TABLES.items() if name in existing}
    assert all(resource["DeletionPolicy"] == "Retain" for resource in template["Resources"].values())
    assert captured["Parameters"] == [{"ParameterKey": "ProjectName", "ParameterValue": "old"}]


def test_nothing_is_imported_without_retained_tables(aws: Stubbed) -> None:
    aws.stack_absent()
    aws.tables(set())
    assert aws.run() == []  # no change set: the stubs hold no answer for one


def test_an_existing_stack_is_left_to_the_ordinary_update(aws: Stubbed) -> None:
    aws.stack("UPDATE_COMPLETE")
    assert aws.run() == []


def test_a_failed_import_says_which_tables(aws: Stubbed) -> None:
    aws.stack_absent()
    aws.tables(set(TABLES.values()))
    aws.cfn_stub.add_client_error("create_change_set", service_error_code="ValidationError", service_message="nope")
    with pytest.raises(DeployError, match="old-mysfits, old-processed-events failed"):
        aws.run()


def test_table_names_read_parameters_as_cloudformation_writes_them() -> None:
    # A boolean or list default reaches !Sub as CloudFormation renders it: "true", "a,b".
    template = {
        "Parameters": {"Encrypted": {"Type": "String", "Default": True}, "Zones": {"Default": ["a", "b"]}},
        "Resources": {
            "Table": {
                "Type": "AWS::DynamoDB::Table",
                "Properties": {"TableName": {"Fn::Sub": "events-${Encrypted}-${Zones}"}},
            }
        },
    }
    assert table_names(template, {}) == {"Table": "events-true-a,b"}
    assert table_names(template, {"Encrypted": "false"}) == {"Table": "events-false-a,b"}
