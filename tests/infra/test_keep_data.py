"""``teardown --keep-data`` then ``deploy``, against the embedded emulator: the data stack is kept
with its tables, so the next deploy updates it in place and the data is still there. (Deleting the
stack and retaining its fixed-name tables made the next deploy fail: "Table already exists".)"""

from __future__ import annotations

from io import StringIO

import boto3

from deploy.aws import AwsDeployer, DeployOptions, stack_name, stack_parameters
from deploy.stacks import deploy_stack, stack_status
from tests.infra.support import TEMPLATE_DIR

PROJECT = "keepdata"


def test_deploy_after_teardown_keep_data_reuses_the_tables(emulator: str) -> None:
    session = boto3.session.Session(region_name="us-east-1")
    cfn, dynamodb = (
        session.client("cloudformation", endpoint_url=emulator),
        session.client("dynamodb", endpoint_url=emulator),
    )
    options = DeployOptions(project=PROJECT, keep_data=True, poll_delay=0.2, timeout=20)
    name = stack_name(PROJECT, "data")

    def deploy_data() -> dict[str, str]:
        parameters = stack_parameters("data", options, "unused", {})
        return deploy_stack(cfn, name, TEMPLATE_DIR / "data.yaml", parameters, poll_delay=0.2, timeout=20)

    # GIVEN a deployed data stack holding a mysfit
    table = deploy_data()["MysfitsTableName"]
    dynamodb.put_item(
        TableName=table, Item={"MysfitId": {"S": "kept"}, "GoodEvil": {"S": "Good"}, "LawChaos": {"S": "Lawful"}}
    )

    # WHEN the deployment is torn down keeping the data, then deployed again
    deployer = AwsDeployer(
        options=options, client=lambda service: session.client(service, endpoint_url=emulator), out=StringIO()
    )
    deployer.teardown()
    outputs = deploy_data()

    # THEN the same stack serves the same table, mysfit included
    assert stack_status(cfn, name) in ("CREATE_COMPLETE", "UPDATE_COMPLETE")
    assert outputs["MysfitsTableName"] == table
    assert dynamodb.get_item(TableName=table, Key={"MysfitId": {"S": "kept"}})["Item"]["GoodEvil"] == {"S": "Good"}
