from __future__ import annotations

import dataclasses

import pytest

from monolith.domain import (
    AlreadyAdopted,
    DependencyUnavailable,
    Filter,
    MysfitNotFound,
    UnprocessableEvent,
)
from monolith.seed import catalogue
from monolith.service import MysfitsService
from mysfits_common.events import AdoptionRequested, LikeRequested
from mysfits_common.outcomes import Outcome
from tests.fakes import FakeRepository, RecordingPublisher, first_mysfit


@pytest.fixture
def service(repository: FakeRepository, publisher: RecordingPublisher) -> MysfitsService:
    return MysfitsService(repository, publisher)


def test_a_like_is_published_and_not_yet_counted(
    service: MysfitsService, repository: FakeRepository, publisher: RecordingPublisher
) -> None:
    mysfit = first_mysfit(repository)

    accepted = service.request_like(mysfit.mysfit_id, "corr-1")

    assert not accepted.processed
    assert publisher.events == [accepted.event]
    assert isinstance(accepted.event, LikeRequested)
    assert accepted.event.correlation_id == "corr-1"
    assert repository.mysfits[mysfit.mysfit_id].likes == 0


def test_likes_on_a_known_mysfit_do_not_read_it_again(
    service: MysfitsService, repository: FakeRepository
) -> None:
    mysfit = first_mysfit(repository)

    for _ in range(5):
        service.request_like(mysfit.mysfit_id, "corr")

    assert repository.reads == 1


def test_a_like_for_an_unknown_mysfit_is_not_published(
    service: MysfitsService, publisher: RecordingPublisher
) -> None:
    with pytest.raises(MysfitNotFound):
        service.request_like("no-such-mysfit", "corr")

    assert publisher.events == []


def test_when_sns_is_down_the_like_is_refused_and_nothing_is_written(
    service: MysfitsService, repository: FakeRepository, publisher: RecordingPublisher
) -> None:
    publisher.down = True
    mysfit = first_mysfit(repository)

    with pytest.raises(DependencyUnavailable):
        service.request_like(mysfit.mysfit_id, "corr")

    assert repository.mysfits[mysfit.mysfit_id].likes == 0
    assert repository.markers == {}


def test_adopting_an_adopted_mysfit_is_refused_before_publishing(
    service: MysfitsService, repository: FakeRepository, publisher: RecordingPublisher
) -> None:
    mysfit = first_mysfit(repository)
    service.fulfil_adoption(AdoptionRequested(mysfit_id=mysfit.mysfit_id))

    with pytest.raises(AlreadyAdopted):
        service.request_adoption(mysfit.mysfit_id, "corr")

    assert publisher.events == []


def test_inline_mode_writes_in_the_request_and_publishes_nothing(
    repository: FakeRepository, publisher: RecordingPublisher
) -> None:
    service = MysfitsService(repository, publisher, like_mode="inline", adopt_mode="inline")
    mysfit = first_mysfit(repository)

    like = service.request_like(mysfit.mysfit_id, "corr")
    adoption = service.request_adoption(mysfit.mysfit_id, "corr")

    assert like.processed and adoption.processed
    assert publisher.events == []
    assert repository.mysfits[mysfit.mysfit_id].likes == 1
    assert repository.mysfits[mysfit.mysfit_id].adopted


def test_a_replayed_like_is_counted_once(service: MysfitsService, repository: FakeRepository) -> None:
    mysfit = first_mysfit(repository)
    event = LikeRequested(mysfit_id=mysfit.mysfit_id)

    assert service.fulfil_like(event) is Outcome.PROCESSED
    assert service.fulfil_like(event) is Outcome.DUPLICATE

    assert repository.mysfits[mysfit.mysfit_id].likes == 1


def test_a_single_like_the_store_cannot_take_raises_and_is_not_counted(
    service: MysfitsService, repository: FakeRepository
) -> None:
    # GIVEN a mysfit whose item is busy and one whose item cannot take a like
    busy, corrupt = list(repository.mysfits)[:2]
    repository.busy.add(busy)
    repository.corrupt.add(corrupt)

    # WHEN each is liked alone, THEN the busy one is an outage (retry later), the corrupt one unprocessable
    with pytest.raises(DependencyUnavailable):
        service.fulfil_like(LikeRequested(mysfit_id=busy))
    with pytest.raises(UnprocessableEvent):
        service.fulfil_like(LikeRequested(mysfit_id=corrupt))

    assert (repository.mysfits[busy].likes, repository.mysfits[corrupt].likes) == (0, 0)
    assert repository.markers == {}


def test_an_inline_like_of_a_busy_mysfit_is_refused_not_reported_processed(
    repository: FakeRepository, publisher: RecordingPublisher
) -> None:
    service = MysfitsService(repository, publisher, like_mode="inline")
    busy = first_mysfit(repository).mysfit_id
    repository.busy.add(busy)

    with pytest.raises(DependencyUnavailable):
        service.request_like(busy, "corr")

    assert repository.mysfits[busy].likes == 0


def test_a_listing_asks_the_repository_for_the_filter_and_orders_by_name(publisher: RecordingPublisher) -> None:
    # GIVEN chaotic mysfits stored out of name order (selecting on the attribute is the adapter's
    # job, tested against moto in tests/adapters/test_dynamodb.py::test_filters_query_the_indexes)
    names = ["Zed", "Ann", "Mia"]
    mysfits = [dataclasses.replace(m, name=n, law_chaos="Chaotic") for m, n in zip(catalogue()[:3], names, strict=True)]
    repository = FakeRepository(mysfits)

    listed = MysfitsService(repository, publisher).list_mysfits((Filter.LAW_CHAOS, "Chaotic"))

    assert repository.finds == [(Filter.LAW_CHAOS, "Chaotic")]
    assert [m.name for m in listed] == ["Ann", "Mia", "Zed"]


def test_readiness_names_the_dependency_that_is_down(
    service: MysfitsService, repository: FakeRepository
) -> None:
    repository.down = True

    checks = service.readiness()

    assert checks["dynamodb"] == "error: DependencyUnavailable"
    assert checks["sns"] == "ok"


def test_readiness_is_asked_of_the_dependencies_at_most_once_per_cache_period(
    repository: FakeRepository, publisher: RecordingPublisher
) -> None:
    # GIVEN a service whose readiness is cached for 5 s, on a clock the test moves
    now = [100.0]
    service = MysfitsService(repository, publisher, readiness_cache_seconds=5, clock=lambda: now[0])
    assert service.readiness()["dynamodb"] == "ok"

    # WHEN DynamoDB goes down, THEN the cached answer holds for the period, and then the new one
    repository.down = True
    now[0] += 4.9
    assert service.readiness()["dynamodb"] == "ok"
    now[0] += 0.2
    assert service.readiness()["dynamodb"] == "error: DependencyUnavailable"
