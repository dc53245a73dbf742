"""Fault injection at the emulator's boundary: each fault looks to botocore exactly as AWS's own.

The tests run on an emulator of their own: a rule on the session's emulator would also hit the
systems other tests leave running there, and their requests would draw on the rules' odds.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import boto3
import pytest
import requests
from botocore.awsrequest import AWSResponse
from botocore.config import Config
from botocore.exceptions import ClientError, ConnectionClosedError, ReadTimeoutError
from botocore.retries.standard import RetryContext, ThrottledRetryableChecker, TransientRetryableChecker

from embedded.emulator.__main__ import main as emulator_main
from embedded.emulator.faults import PATH, InvalidFaults, clear_faults, parse_faults, read_faults, set_faults
from embedded.processes import wait_until
from tests.conftest import running_emulator
from tests.emulator.moto_tables import on_demand_table

NO_RETRIES = Config(retries={"total_max_attempts": 1})
HOLD_HALF_A_SECOND = {"service": "dynamodb", "action": "TransactWriteItems", "fault": "hold", "seconds": 0.5}


@pytest.fixture(scope="module")
def emulator_url(output_dir: Path) -> Iterator[str]:
    with running_emulator(output_dir / "faults-emulator" / "emulator.log") as url:
        yield url


@pytest.fixture(autouse=True)
def _no_faults_left(emulator_url: str) -> Iterator[None]:
    yield
    clear_faults(emulator_url)


def _client(emulator_url: str, service: str, config: Config = NO_RETRIES) -> Any:
    return boto3.client(service, endpoint_url=emulator_url, region_name="us-east-1", config=config)


@pytest.fixture(scope="module")
def dynamodb(emulator_url: str) -> Any:
    return _client(emulator_url, "dynamodb")


@pytest.fixture(scope="module")
def sns(emulator_url: str) -> Any:
    return _client(emulator_url, "sns")


@pytest.fixture(scope="module")
def sqs(emulator_url: str) -> Any:
    return _client(emulator_url, "sqs")


@pytest.fixture
def table(dynamodb: Any) -> str:
    return on_demand_table(dynamodb, "faults")


@pytest.fixture
def queue(sqs: Any) -> str:
    url: str = sqs.create_queue(QueueName=f"faults-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    return url


@pytest.fixture
def topic(sns: Any, sqs: Any, queue: str) -> str:
    """A topic that delivers every message, raw, to ``queue``."""
    arn: str = sns.create_topic(Name=f"faults-{uuid.uuid4().hex[:8]}")["TopicArn"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=arn, Protocol="sqs", Endpoint=queue_arn, Attributes={"RawMessageDelivery": "true"})
    return arn


def _messages(sqs: Any, queue: str) -> list[str]:
    """Every message body in ``queue`` (left invisible)."""
    bodies: list[str] = []
    while batch := sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10, VisibilityTimeout=60).get("Messages"):
        bodies += [message["Body"] for message in batch]
    return sorted(bodies)


def _likes(dynamodb: Any, table: str, item_id: str) -> int | None:
    item = dynamodb.get_item(TableName=table, Key={"Id": {"S": item_id}}, ConsistentRead=True).get("Item")
    return None if item is None else int(item["Likes"]["N"])


def _like(table: str, item_id: str) -> dict[str, Any]:
    return {
        "Update": {
            "TableName": table,
            "Key": {"Id": {"S": item_id}},
            "UpdateExpression": "ADD Likes :one",
            "ExpressionAttributeValues": {":one": {"N": "1"}},
        }
    }


def _marker(table: str) -> dict[str, Any]:
    return {"Put": {"TableName": table, "Item": {"Id": {"S": f"event-{uuid.uuid4()}"}}}}


def _holding(emulator_url: str) -> None:
    """Wait until the hold rule has fired: its transaction holds its items for the next half second."""
    wait_until(lambda: read_faults(emulator_url)["fired"] == [1], 5, "a transaction holding", interval=0.01)


def _standard_mode_reads(error: ClientError) -> str:
    """What botocore's standard retry mode makes of the error: throttling, transient, or final."""
    metadata = error.response["ResponseMetadata"]
    http_response = AWSResponse("", metadata["HTTPStatusCode"], metadata.get("HTTPHeaders", {}), None)
    context = RetryContext(attempt_number=1, parsed_response=error.response, http_response=http_response)
    if ThrottledRetryableChecker().is_retryable(context):
        return "throttling"
    return "transient" if TransientRetryableChecker().is_retryable(context) else "final"


def _a_call_of(service: str, clients: dict[str, Any]) -> Any:
    calls = {
        "dynamodb": lambda: clients["dynamodb"].list_tables(),
        "sns": lambda: clients["sns"].list_topics(),
        "sqs": lambda: clients["sqs"].list_queues(),
    }
    return calls[service]


# -- AWS's own errors -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("service", "action", "code", "status"),
    [
        ("dynamodb", "ListTables", "ThrottlingException", 400),
        ("sns", "ListTopics", "Throttling", 400),
        ("sqs", "ListQueues", "RequestThrottled", 403),
    ],
)
def test_throttle_answers_the_services_own_throttling_error_which_botocore_retries_as_throttling(
    emulator_url: str, dynamodb: Any, sns: Any, sqs: Any, service: str, action: str, code: str, status: int
) -> None:
    set_faults(emulator_url, [{"service": service, "action": action, "fault": "throttle"}])

    with pytest.raises(ClientError) as error:
        _a_call_of(service, {"dynamodb": dynamodb, "sns": sns, "sqs": sqs})()

    assert error.value.response["Error"]["Code"] == code
    assert error.value.response["ResponseMetadata"]["HTTPStatusCode"] == status
    assert _standard_mode_reads(error.value) == "throttling"
    assert read_faults(emulator_url)["fired"] == [1]


def test_a_throttled_dynamodb_request_raises_the_modelled_exception(emulator_url: str, dynamodb: Any) -> None:
    set_faults(emulator_url, [{"service": "dynamodb", "action": "ListTables", "fault": "throttle"}])

    with pytest.raises(dynamodb.exceptions.ThrottlingException) as error:
        dynamodb.list_tables()

    assert "DynamoDB is automatically scaling your table" in error.value.response["Error"]["Message"]


@pytest.mark.parametrize(
    ("service", "action", "code"),
    [("dynamodb", "ListTables", "InternalServerError"), ("sns", "ListTopics", "InternalError"),
     ("sqs", "ListQueues", "InternalError")],
)
def test_internal_error_answers_the_services_own_500_which_botocore_retries_as_transient(
    emulator_url: str, dynamodb: Any, sns: Any, sqs: Any, service: str, action: str, code: str
) -> None:
    set_faults(emulator_url, [{"service": service, "action": action, "fault": "internal-error"}])

    with pytest.raises(ClientError) as error:
        _a_call_of(service, {"dynamodb": dynamodb, "sns": sns, "sqs": sqs})()

    assert error.value.response["Error"]["Code"] == code
    assert error.value.response["ResponseMetadata"]["HTTPStatusCode"] == 500
    assert _standard_mode_reads(error.value) == "transient"


def test_a_rule_for_one_action_leaves_the_others_alone(emulator_url: str, sqs: Any, queue: str) -> None:
    set_faults(emulator_url, [{"service": "sqs", "action": "DeleteMessage", "fault": "internal-error"}])

    sqs.send_message(QueueUrl=queue, MessageBody="kept")

    assert read_faults(emulator_url)["fired"] == [0]


# -- DynamoDB transactions --------------------------------------------------------------------------


def test_conflict_cancels_the_transaction_with_a_conflict_for_its_updates_and_writes_nothing(
    emulator_url: str, dynamodb: Any, table: str
) -> None:
    # GIVEN a fulfil-like transaction: two mysfits' likes and the events' markers
    set_faults(emulator_url, [{"service": "dynamodb", "action": "TransactWriteItems", "fault": "conflict"}])
    items = [_like(table, "nessie"), _marker(table), _like(table, "yeti"), _marker(table)]

    with pytest.raises(dynamodb.exceptions.TransactionCanceledException) as error:
        dynamodb.transact_write_items(TransactItems=items)

    reasons = error.value.response["CancellationReasons"]
    conflict = {"Code": "TransactionConflict", "Message": "Transaction is ongoing for the item"}
    assert reasons == [conflict, {"Code": "None"}, conflict, {"Code": "None"}]
    assert "[TransactionConflict, None, TransactionConflict, None]" in error.value.response["Error"]["Message"]
    assert _standard_mode_reads(error.value) == "final"
    assert dynamodb.scan(TableName=table)["Items"] == []


def test_a_throttled_transaction_is_cancelled_as_an_on_demand_table_cancels_it(
    emulator_url: str, dynamodb: Any, table: str
) -> None:
    set_faults(emulator_url, [{"service": "dynamodb", "action": "TransactWriteItems", "fault": "throttle"}])

    with pytest.raises(dynamodb.exceptions.TransactionCanceledException) as error:
        dynamodb.transact_write_items(TransactItems=[_like(table, "nessie"), _marker(table)])

    assert [reason["Code"] for reason in error.value.response["CancellationReasons"]] == ["ThrottlingError", "None"]
    assert _standard_mode_reads(error.value) == "final"
    assert dynamodb.scan(TableName=table)["Items"] == []


def test_hold_makes_two_concurrent_transactions_on_one_item_really_conflict(
    emulator_url: str, dynamodb: Any, table: str
) -> None:
    # GIVEN every transaction holds its items for half a second before it is applied
    set_faults(emulator_url, [HOLD_HALF_A_SECOND])

    def transact(items: list[dict[str, Any]]) -> str:
        try:
            dynamodb.transact_write_items(TransactItems=items)
        except ClientError as error:
            return json.dumps([reason["Code"] for reason in error.response.get("CancellationReasons", [])])
        return "applied"

    # WHEN a second transaction on the same mysfit, and one on another, start while the first holds
    with ThreadPoolExecutor(max_workers=3) as pool:
        first = pool.submit(transact, [_like(table, "nessie"), _marker(table)])
        _holding(emulator_url)
        same = pool.submit(transact, [_marker(table), _like(table, "nessie")])
        other = pool.submit(transact, [_like(table, "yeti"), _marker(table)])
        outcomes = first.result(), same.result(), other.result()

    # THEN the second is cancelled for that item only, the others apply
    assert outcomes == ("applied", '["None", "TransactionConflict"]', "applied")
    assert (_likes(dynamodb, table, "nessie"), _likes(dynamodb, table, "yeti")) == (1, 1)


def test_a_single_write_to_a_held_item_fails_with_transaction_conflict(
    emulator_url: str, dynamodb: Any, table: str
) -> None:
    set_faults(emulator_url, [HOLD_HALF_A_SECOND])
    with ThreadPoolExecutor(max_workers=1) as pool:
        held = pool.submit(dynamodb.transact_write_items, TransactItems=[_like(table, "nessie")])
        _holding(emulator_url)

        with pytest.raises(dynamodb.exceptions.TransactionConflictException):
            dynamodb.put_item(TableName=table, Item={"Id": {"S": "nessie"}, "Likes": {"N": "100"}})
        dynamodb.put_item(TableName=table, Item={"Id": {"S": "yeti"}, "Likes": {"N": "100"}})
        held.result()

    assert (_likes(dynamodb, table, "nessie"), _likes(dynamodb, table, "yeti")) == (1, 100)


# -- SNS PublishBatch ---------------------------------------------------------------------------


def test_partial_batch_publishes_exactly_the_entries_not_named_failed(
    emulator_url: str, sns: Any, sqs: Any, topic: str, queue: str
) -> None:
    set_faults(
        emulator_url,
        [{"service": "sns", "action": "PublishBatch", "fault": "partial-batch", "fraction": 0.3}],
        seed=11,
    )
    entries = [{"Id": f"entry-{n}", "Message": f"like {n}"} for n in range(10)]

    answer = sns.publish_batch(TopicArn=topic, PublishBatchRequestEntries=entries)

    failed = {entry["Id"] for entry in answer["Failed"]}
    assert len(failed) == 3
    assert {(entry["Code"], entry["SenderFault"]) for entry in answer["Failed"]} == {("InternalError", False)}
    assert {entry["Id"] for entry in answer["Successful"]} == {entry["Id"] for entry in entries} - failed
    assert _messages(sqs, queue) == sorted(entry["Message"] for entry in entries if entry["Id"] not in failed)


def test_partial_batch_of_every_entry_publishes_nothing(
    emulator_url: str, sns: Any, sqs: Any, topic: str, queue: str
) -> None:
    set_faults(emulator_url, [{"service": "sns", "action": "PublishBatch", "fault": "partial-batch", "fraction": 1}])

    answer = sns.publish_batch(TopicArn=topic, PublishBatchRequestEntries=[{"Id": "a", "Message": "a"}])

    assert (answer["Successful"], [entry["Id"] for entry in answer["Failed"]]) == ([], ["a"])
    assert _messages(sqs, queue) == []


# -- time and connections -------------------------------------------------------------------------


def test_latency_delays_the_answer_and_serves_it(emulator_url: str, sqs: Any, queue: str) -> None:
    set_faults(emulator_url, [{"service": "sqs", "action": "SendMessage", "fault": "latency", "seconds": 0.3}])

    started = time.monotonic()
    sqs.send_message(QueueUrl=queue, MessageBody="late")

    assert time.monotonic() - started >= 0.3
    assert _messages(sqs, queue) == ["late"]


def test_drop_closes_the_connection_without_applying_the_request(emulator_url: str, sqs: Any, queue: str) -> None:
    set_faults(emulator_url, [{"service": "sqs", "action": "SendMessage", "fault": "drop"}])

    with pytest.raises(ConnectionClosedError):
        sqs.send_message(QueueUrl=queue, MessageBody="never")

    assert _messages(sqs, queue) == []


def test_hang_answers_nothing_then_drops_the_connection_without_applying_the_request(
    emulator_url: str, sqs: Any, queue: str
) -> None:
    set_faults(emulator_url, [{"service": "sqs", "action": "SendMessage", "fault": "hang", "seconds": 0.3}])
    impatient = _client(emulator_url, "sqs", NO_RETRIES.merge(Config(read_timeout=0.1)))

    with pytest.raises(ReadTimeoutError):
        impatient.send_message(QueueUrl=queue, MessageBody="never")
    with pytest.raises(ConnectionClosedError):
        sqs.send_message(QueueUrl=queue, MessageBody="never")

    assert _messages(sqs, queue) == []


def test_lose_answer_publishes_the_batch_but_the_client_sees_a_connection_error(
    emulator_url: str, sns: Any, sqs: Any, topic: str, queue: str
) -> None:
    set_faults(emulator_url, [{"service": "sns", "action": "PublishBatch", "fault": "lose-answer"}])

    with pytest.raises(ConnectionClosedError):
        sns.publish_batch(TopicArn=topic, PublishBatchRequestEntries=[{"Id": "a", "Message": "sent anyway"}])

    assert _messages(sqs, queue) == ["sent anyway"]


def test_lose_answer_deletes_the_messages_but_the_client_sees_a_connection_error(
    emulator_url: str, sqs: Any, queue: str
) -> None:
    # GIVEN two received messages
    for body in ("one", "two"):
        sqs.send_message(QueueUrl=queue, MessageBody=body)
    received = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10, VisibilityTimeout=0)["Messages"]
    set_faults(emulator_url, [{"service": "sqs", "action": "DeleteMessageBatch", "fault": "lose-answer"}])

    with pytest.raises(ConnectionClosedError):
        sqs.delete_message_batch(
            QueueUrl=queue,
            Entries=[{"Id": str(n), "ReceiptHandle": m["ReceiptHandle"]} for n, m in enumerate(received)],
        )

    assert _messages(sqs, queue) == []


# -- which requests a rule picks ----------------------------------------------------------------------


def test_probability_zero_never_fires(emulator_url: str, sqs: Any) -> None:
    set_faults(emulator_url, [{"service": "*", "action": "*", "fault": "drop", "probability": 0}])

    for _ in range(20):
        sqs.list_queues()

    assert read_faults(emulator_url)["fired"] == [0]


def test_the_same_seed_fires_on_the_same_requests(emulator_url: str, sqs: Any) -> None:
    rule = {"service": "sqs", "action": "ListQueues", "fault": "throttle", "probability": 0.5}

    def outcomes() -> list[bool]:
        set_faults(emulator_url, [rule], seed=42)
        results = []
        for _ in range(16):
            try:
                sqs.list_queues()
                results.append(True)
            except ClientError:
                results.append(False)
        return results

    first = outcomes()

    assert outcomes() == first
    assert 0 < first.count(False) < 16
    assert read_faults(emulator_url)["seed"] == 42


def test_a_window_opens_after_its_delay_and_closes_after_its_length(emulator_url: str, sqs: Any) -> None:
    window = {"service": "sqs", "action": "ListQueues", "fault": "throttle", "after": 0.5, "for": 0.5}
    set_faults(emulator_url, [window])
    started = time.monotonic()

    def throttled_at(moment: float) -> bool:
        time.sleep(max(0.0, started + moment - time.monotonic()))
        try:
            sqs.list_queues()
        except ClientError:
            return True
        return False

    assert [throttled_at(0), throttled_at(0.75), throttled_at(1.25)] == [False, True, False]


def test_the_first_rule_that_fires_decides(emulator_url: str, sqs: Any) -> None:
    set_faults(
        emulator_url,
        [
            {"service": "sqs", "action": "*", "fault": "throttle", "probability": 0, "name": "never"},
            {"service": "sqs", "action": "ListQueues", "fault": "internal-error", "name": "first"},
            {"service": "*", "action": "*", "fault": "throttle", "name": "shadowed"},
        ],
    )

    with pytest.raises(ClientError) as error:
        sqs.list_queues()

    assert error.value.response["Error"]["Code"] == "InternalError"
    assert read_faults(emulator_url)["fired"] == [0, 1, 0]


# -- the admin endpoint and the environment -----------------------------------------------------------


def test_get_answers_the_rules_as_set_with_their_defaults_and_delete_clears_them(emulator_url: str) -> None:
    set_faults(emulator_url, [{"fault": "hang", "name": "slow day"}], seed=5)

    assert read_faults(emulator_url) == {
        "rules": [
            {"service": "*", "action": "*", "fault": "hang", "probability": 1.0, "after": 0.0, "for": None,
             "seconds": 60.0, "name": "slow day"}
        ],
        "fired": [0],
        "seed": 5,
    }
    clear_faults(emulator_url)
    assert read_faults(emulator_url)["rules"] == []


def test_admin_requests_are_never_faulted(emulator_url: str) -> None:
    drop_everything = [{"service": "*", "action": "*", "fault": "drop"}]
    set_faults(emulator_url, drop_everything)

    set_faults(emulator_url, drop_everything)
    state = read_faults(emulator_url)
    clear_faults(emulator_url)

    assert state["fired"] == [0]


@pytest.mark.parametrize(
    ("body", "says"),
    [
        ({"rules": [{"fault": "flood"}]}, "unknown fault kind 'flood'"),
        ({"rules": [{"fault": "throttle", "probability": 1.5}]}, "probability must be between 0 and 1"),
        ({"rules": [{"fault": "conflict", "service": "sqs", "action": "SendMessage"}]}, "conflict applies to"),
        ({"rules": [{"fault": "latency"}]}, "latency needs seconds"),
        ({"rules": [{"fault": "drop", "seconds": 1}]}, "seconds applies to"),
        ({"rules": [{"fault": "drop", "after": -1}]}, "after must be at least 0"),
        ({"rules": [{"fault": "drop", "when": 1}]}, "unknown field 'when'"),
        ({"rules": [], "seed": "x"}, "'seed' must be a whole number"),
        ({"rule": []}, "unknown field 'rule'"),
    ],
)
def test_an_invalid_body_is_refused_with_what_is_wrong(emulator_url: str, body: dict[str, Any], says: str) -> None:
    with pytest.raises(InvalidFaults, match=says):
        parse_faults(body)

    response = requests.put(emulator_url + PATH, json=body, timeout=10)

    assert response.status_code == 400
    assert says in response.json()["error"]["message"]
    assert read_faults(emulator_url)["rules"] == []


def test_a_body_that_is_not_json_is_refused(emulator_url: str) -> None:
    response = requests.put(emulator_url + PATH, data=b"{rules", timeout=10)

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "InvalidFaults"


def test_the_server_starts_with_the_rules_of_its_environment(output_dir: Path) -> None:
    rules = {"rules": [{"service": "sqs", "action": "ListQueues", "fault": "throttle"}], "seed": 3}
    log = output_dir / "faults-emulator-env" / "emulator.log"

    with running_emulator(log, EMULATOR_FAULTS=json.dumps(rules)) as url:
        with pytest.raises(ClientError, match="RequestThrottled"):
            _client(url, "sqs").list_queues()
        state = read_faults(url)
    assert (state["rules"][0]["fault"], state["fired"], state["seed"]) == ("throttle", [1], 3)


def test_the_server_refuses_to_start_with_rules_it_cannot_use(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("EMULATOR_FAULTS", '{"rules": [{"fault": "flood"}]}')

    with pytest.raises(SystemExit) as exit_:
        emulator_main()

    assert exit_.value.code == 2
    assert "EMULATOR_FAULTS: rule 0: unknown fault kind 'flood'" in caplog.text
