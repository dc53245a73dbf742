from __future__ import annotations

from typing import Any

import pytest

from deploy.topology import Topology
from monolith.config import DEAD_LETTER_RETENTION_SECONDS, QUEUE_RETENTION_SECONDS, Settings
from monolith.domain import (
    AlreadyAdopted,
    CorruptRecord,
    Filter,
    ItemBusy,
    MysfitNotFound,
    UnprocessableEvent,
)
from monolith.dynamodb import DynamoMysfitRepository
from monolith.seed import catalogue, seed
from mysfits_common.budgets import Deadline
from mysfits_common.events import AdoptionRequested, LikeRequested
from mysfits_common.outcomes import Outcome
from tests.fakes import ContendedDynamoDB


@pytest.fixture
def repository(topology: Topology, dynamodb: Any) -> DynamoMysfitRepository:
    repository = DynamoMysfitRepository(dynamodb, topology.mysfits_table, topology.processed_events_table)
    seed(repository)
    return repository


def test_seeding_twice_inserts_nothing_the_second_time(repository: DynamoMysfitRepository) -> None:
    assert seed(repository) == 0
    assert len(repository.find()) == 12


def test_likes_and_adoption_read_back_as_int_and_bool(repository: DynamoMysfitRepository) -> None:
    mysfit = catalogue()[0]

    repository.apply_like(LikeRequested(mysfit_id=mysfit.mysfit_id))
    stored = repository.get(mysfit.mysfit_id)

    assert stored is not None
    assert stored.likes == 1 and type(stored.likes) is int
    assert stored.adopted is False


def test_a_like_replayed_changes_nothing(repository: DynamoMysfitRepository) -> None:
    event = LikeRequested(mysfit_id=catalogue()[0].mysfit_id)

    assert repository.apply_like(event) is Outcome.PROCESSED
    assert repository.apply_like(event) is Outcome.DUPLICATE

    stored = repository.get(event.mysfit_id)
    assert stored is not None and stored.likes == 1


def test_the_marker_expires_by_ttl(repository: DynamoMysfitRepository, dynamodb: Any, topology: Topology) -> None:
    event = LikeRequested(mysfit_id=catalogue()[0].mysfit_id)

    repository.apply_like(event)

    marker = dynamodb.get_item(TableName=topology.processed_events_table, Key={"EventId": {"S": event.event_id}})
    lifetime = int(marker["Item"]["ExpiresAt"]["N"]) - int(marker["Item"]["ProcessedAt"]["N"])
    assert lifetime == Settings.marker_ttl_seconds
    # A message redriven on the last day of its DLQ retention still meets its marker: no double count.
    assert lifetime > QUEUE_RETENTION_SECONDS + DEAD_LETTER_RETENTION_SECONDS
    ttl = dynamodb.describe_time_to_live(TableName=topology.processed_events_table)
    assert ttl["TimeToLiveDescription"]["AttributeName"] == "ExpiresAt"


def test_a_like_for_an_unknown_mysfit_creates_nothing(repository: DynamoMysfitRepository) -> None:
    with pytest.raises(MysfitNotFound):
        repository.apply_like(LikeRequested(mysfit_id="ghost"))

    assert repository.get("ghost") is None


def test_adoption_is_won_once_and_rivals_are_rejected_and_recorded(
    repository: DynamoMysfitRepository, dynamodb: Any, topology: Topology
) -> None:
    mysfit_id = catalogue()[1].mysfit_id
    winner, rival = AdoptionRequested(mysfit_id=mysfit_id), AdoptionRequested(mysfit_id=mysfit_id)

    assert repository.apply_adoption(winner) is Outcome.PROCESSED
    with pytest.raises(AlreadyAdopted):
        repository.apply_adoption(rival)
    assert repository.apply_adoption(winner) is Outcome.DUPLICATE
    with pytest.raises(AlreadyAdopted):
        repository.apply_adoption(rival)  # a replayed rejection stays a rejection

    marker = dynamodb.get_item(TableName=topology.processed_events_table, Key={"EventId": {"S": rival.event_id}})
    assert marker["Item"]["Outcome"]["S"] == "rejected"


def test_adopting_an_unknown_mysfit_creates_no_stub(repository: DynamoMysfitRepository) -> None:
    with pytest.raises(MysfitNotFound):
        repository.apply_adoption(AdoptionRequested(mysfit_id="ghost"))

    assert repository.get("ghost") is None


@pytest.mark.parametrize(("attribute", "value"), [(Filter.GOOD_EVIL, "Evil"), (Filter.LAW_CHAOS, "Chaotic")])
def test_filters_query_the_indexes(repository: DynamoMysfitRepository, attribute: Filter, value: str) -> None:
    field = {Filter.GOOD_EVIL: "good_evil", Filter.LAW_CHAOS: "law_chaos"}[attribute]
    expected = {m.mysfit_id for m in catalogue() if getattr(m, field) == value}

    liked = sorted(expected)[0]
    repository.apply_likes([LikeRequested(liked), LikeRequested(liked)])

    found = repository.find((attribute, value))

    # every attribute of each mysfit, its likes as counted, read from the table (the indexes hold keys)
    assert [m.mysfit_id for m in found] == sorted(expected) and expected
    assert found == [repository.get(mysfit_id) for mysfit_id in sorted(expected)]
    assert next(m for m in found if m.mysfit_id == liked).likes == 2


def test_while_an_index_is_rebuilt_its_filter_reads_a_filtered_scan(
    repository: DynamoMysfitRepository, dynamodb: Any, topology: Topology
) -> None:
    # GIVEN a deploy that changes GoodEvilIndex, which removes it before building it again
    expected = repository.find((Filter.GOOD_EVIL, "Good"))
    index = next(i for i in dynamodb.describe_table(TableName=topology.mysfits_table)["Table"]["GlobalSecondaryIndexes"]
                 if i["IndexName"] == "GoodEvilIndex")
    dynamodb.update_table(TableName=topology.mysfits_table,
                          GlobalSecondaryIndexUpdates=[{"Delete": {"IndexName": "GoodEvilIndex"}}])
    try:
        # WHEN the filter is asked meanwhile
        found = repository.find((Filter.GOOD_EVIL, "Good"))
    finally:
        dynamodb.update_table(
            TableName=topology.mysfits_table,
            AttributeDefinitions=[{"AttributeName": "GoodEvil", "AttributeType": "S"},
                                  {"AttributeName": "MysfitId", "AttributeType": "S"}],
            GlobalSecondaryIndexUpdates=[
                {"Create": {key: index[key] for key in ("IndexName", "KeySchema", "Projection")}}
            ],
        )

    # THEN it answers the same mysfits, not an outage
    assert found == expected and expected


def test_a_batch_is_one_transaction_that_settles_replays_and_unknown_ids(
    repository: DynamoMysfitRepository,
) -> None:
    # GIVEN a batch with two mysfits, a replay, an in-batch redelivery and an unknown mysfit
    first, second = catalogue()[2].mysfit_id, catalogue()[3].mysfit_id
    replayed = LikeRequested(mysfit_id=first)
    repository.apply_like(replayed)
    fresh = [LikeRequested(mysfit_id=first), LikeRequested(mysfit_id=first), LikeRequested(mysfit_id=second)]
    ghost = LikeRequested(mysfit_id="ghost")

    # WHEN it is applied
    results = repository.apply_likes([replayed, *fresh, fresh[0], ghost])

    # THEN each event counts once, the replay not again, and the unknown id creates nothing
    assert results[replayed.event_id] is Outcome.DUPLICATE
    assert {results[e.event_id] for e in fresh} == {Outcome.PROCESSED}
    assert isinstance(results[ghost.event_id], MysfitNotFound)
    assert [repository.get(m).likes for m in (first, second)] == [3, 1]  # type: ignore[union-attr]
    assert repository.get("ghost") is None
    assert repository.apply_likes(fresh) == dict.fromkeys((e.event_id for e in fresh), Outcome.DUPLICATE)


def _corrupt_likes(dynamodb: Any, topology: Topology, mysfit_id: str) -> None:
    """Store the mysfit's likes as a string, as a bad manual edit or a buggy migration would."""
    dynamodb.update_item(
        TableName=topology.mysfits_table,
        Key={"MysfitId": {"S": mysfit_id}},
        UpdateExpression="SET Likes = :text",
        ExpressionAttributeValues={":text": {"S": "not a number"}},
    )


def test_a_corrupt_item_fails_only_its_own_events_of_a_batch(
    repository: DynamoMysfitRepository, topology: Topology, dynamodb: Any
) -> None:
    # GIVEN a batch of likes for a healthy mysfit and for one whose likes are stored as a string
    healthy, corrupt = catalogue()[4].mysfit_id, catalogue()[5].mysfit_id
    _corrupt_likes(dynamodb, topology, corrupt)
    good = [LikeRequested(mysfit_id=healthy) for _ in range(3)]
    bad = [LikeRequested(mysfit_id=corrupt) for _ in range(2)]

    # WHEN the batch is applied
    results = repository.apply_likes([bad[0], *good, bad[1]])

    # THEN the healthy likes count and the corrupt mysfit's events fail alone, with no marker
    assert {results[e.event_id] for e in good} == {Outcome.PROCESSED}
    assert all(isinstance(results[e.event_id], UnprocessableEvent) for e in bad)
    assert repository.get(healthy).likes == 3  # type: ignore[union-attr]
    markers = dynamodb.scan(TableName=topology.processed_events_table)["Items"]
    assert {m["EventId"]["S"] for m in markers} == {e.event_id for e in good}
    # and failed events are not duplicates: once the item is repaired they count
    dynamodb.update_item(
        TableName=topology.mysfits_table,
        Key={"MysfitId": {"S": corrupt}},
        UpdateExpression="SET Likes = :zero",
        ExpressionAttributeValues={":zero": {"N": "0"}},
    )
    assert set(repository.apply_likes(bad).values()) == {Outcome.PROCESSED}


def test_a_single_like_of_a_corrupt_item_is_unprocessable_not_an_outage(
    repository: DynamoMysfitRepository, topology: Topology, dynamodb: Any
) -> None:
    corrupt = catalogue()[6].mysfit_id
    _corrupt_likes(dynamodb, topology, corrupt)

    with pytest.raises(UnprocessableEvent):
        repository.apply_like(LikeRequested(mysfit_id=corrupt))


class CountingClient:
    """The DynamoDB client, counting the transactions sent through it."""

    def __init__(self, client: Any) -> None:
        self._client = client
        self.transactions: list[int] = []

    def transact_write_items(self, **request: Any) -> Any:
        self.transactions.append(len(request["TransactItems"]))
        return self._client.transact_write_items(**request)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)


def test_a_batch_larger_than_one_transaction_is_split_in_transactions_of_at_most_100_items(
    topology: Topology, dynamodb: Any
) -> None:
    client = CountingClient(dynamodb)
    repository = DynamoMysfitRepository(client, topology.mysfits_table, topology.processed_events_table)
    seed(repository)
    events = [LikeRequested(mysfit_id=mysfit.mysfit_id) for mysfit in catalogue() for _ in range(10)]

    results = repository.apply_likes(events)

    assert set(results.values()) == {Outcome.PROCESSED} and len(results) == 120
    assert client.transactions and max(client.transactions) <= 100
    assert len(client.transactions) == 2  # 90 likes of 9 mysfits (99 items), then 30 of 3
    assert sum(mysfit.likes for mysfit in repository.find()) == 120


def test_a_corrupt_item_is_left_out_of_listings_and_named_when_read_alone(
    repository: DynamoMysfitRepository, topology: Topology, dynamodb: Any
) -> None:
    corrupt = catalogue()[7].mysfit_id
    _corrupt_likes(dynamodb, topology, corrupt)

    listed = {mysfit.mysfit_id for mysfit in repository.find()}

    assert listed == {mysfit.mysfit_id for mysfit in catalogue()} - {corrupt}
    with pytest.raises(CorruptRecord, match=corrupt):
        repository.get(corrupt)


def test_likes_of_a_contended_item_are_retried_in_place_and_counted_once(
    topology: Topology, dynamodb: Any
) -> None:
    # GIVEN a popular mysfit whose item is in other transactions for the next three attempts
    hot, quiet = (mysfit.mysfit_id for mysfit in catalogue()[:2])
    contended = ContendedDynamoDB(dynamodb, {hot}, conflicts=3)
    repository = DynamoMysfitRepository(contended, topology.mysfits_table, topology.processed_events_table)
    seed(repository)
    likes = [LikeRequested(mysfit_id=hot), LikeRequested(mysfit_id=hot), LikeRequested(mysfit_id=quiet)]

    # WHEN a worker hands over a batch of its likes
    results = repository.apply_likes(likes, Deadline(30))

    # THEN the monolith retried until the item was free: nothing goes back to the queue for it
    assert set(results.values()) == {Outcome.PROCESSED}
    assert contended.transactions == 4
    assert [repository.get(mysfit_id).likes for mysfit_id in (hot, quiet)] == [2, 1]  # type: ignore[union-attr]


def test_a_throttled_request_is_retried_in_place_like_a_conflict(topology: Topology, dynamodb: Any) -> None:
    contended = ContendedDynamoDB(dynamodb, set(), conflicts=0, throttles=2)
    repository = DynamoMysfitRepository(contended, topology.mysfits_table, topology.processed_events_table)
    seed(repository)
    event = LikeRequested(mysfit_id=catalogue()[0].mysfit_id)

    assert repository.apply_likes([event], Deadline(30)) == {event.event_id: Outcome.PROCESSED}


def test_an_item_busy_past_the_callers_budget_leaves_only_its_own_likes_to_retry(
    topology: Topology, dynamodb: Any
) -> None:
    # GIVEN a mysfit whose item stays in other transactions, and a caller with no time to wait
    hot, quiet = (mysfit.mysfit_id for mysfit in catalogue()[:2])
    contended = ContendedDynamoDB(dynamodb, {hot}, conflicts=1000)
    repository = DynamoMysfitRepository(contended, topology.mysfits_table, topology.processed_events_table)
    seed(repository)
    busy, free = LikeRequested(mysfit_id=hot), LikeRequested(mysfit_id=quiet)

    results = repository.apply_likes([busy, free], Deadline(0))

    # THEN its likes are left busy with nothing written, and the other mysfit's like still counted
    assert isinstance(results[busy.event_id], ItemBusy) and results[free.event_id] is Outcome.PROCESSED
    assert [repository.get(mysfit_id).likes for mysfit_id in (hot, quiet)] == [0, 1]  # type: ignore[union-attr]


def test_an_adoption_of_a_contended_item_is_retried_in_place_then_reported_busy(
    topology: Topology, dynamodb: Any
) -> None:
    mysfit_id = catalogue()[0].mysfit_id
    contended = ContendedDynamoDB(dynamodb, {mysfit_id}, conflicts=2)
    repository = DynamoMysfitRepository(contended, topology.mysfits_table, topology.processed_events_table)
    seed(repository)

    assert repository.apply_adoption(AdoptionRequested(mysfit_id=mysfit_id), Deadline(30)) is Outcome.PROCESSED

    other = catalogue()[1].mysfit_id
    contended.contended, contended.conflicts = {other}, 1000
    with pytest.raises(ItemBusy):
        repository.apply_adoption(AdoptionRequested(mysfit_id=other), Deadline(0))
    assert repository.get(other).adopted is False  # type: ignore[union-attr]
