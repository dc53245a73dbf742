from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from monolith.app import close_app, create_app
from monolith.config import Settings
from monolith.domain import CorruptRecord
from monolith.fulfil import MAX_BATCH
from monolith.service import MysfitsService
from mysfits_common.events import AdoptionRequested, LikeRequested
from mysfits_common.publish_batcher import BatchingPublisher
from tests.fakes import FakeRepository, GatedBatchPublisher, RecordingPublisher, first_mysfit

SECRET = "s3cret-for-tests"


@pytest.fixture
def app(repository: FakeRepository, publisher: RecordingPublisher) -> Flask:
    settings = Settings(fulfil_secret=SECRET, cors_allowed_origins=("http://site.test",), max_body_bytes=1024)
    return create_app(settings, service=MysfitsService(repository, publisher))


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def assert_json_error(response: TestResponse, status: int, code: str | None = None) -> None:
    assert response.status_code == status
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert set(body["error"]) == {"code", "message"}
    if code:
        assert body["error"]["code"] == code


def test_the_catalogue_lists_twelve_mysfits_with_the_workshop_fields(client: FlaskClient) -> None:
    mysfits = client.get("/mysfits").get_json()["mysfits"]

    assert len(mysfits) == 12
    assert set(mysfits[0]) == {
        "mysfitId", "name", "species", "goodevil", "lawchaos", "thumbImageUri", "likes", "adopted"
    }
    assert all(isinstance(m["likes"], int) and isinstance(m["adopted"], bool) for m in mysfits)


def test_an_empty_table_gives_an_empty_list(publisher: RecordingPublisher) -> None:
    app = create_app(Settings(), service=MysfitsService(FakeRepository([]), publisher))

    assert app.test_client().get("/mysfits").get_json() == {"mysfits": []}


@pytest.mark.parametrize(
    ("name", "value", "field"), [("GoodEvil", "Evil", "goodevil"), ("LawChaos", "Lawful", "lawchaos")]
)
def test_a_filter_returns_only_matching_mysfits(client: FlaskClient, name: str, value: str, field: str) -> None:
    mysfits = client.get(f"/mysfits?filter={name}&value={value}").get_json()["mysfits"]

    assert mysfits and all(m[field] == value for m in mysfits)


@pytest.mark.parametrize(
    "query", ["filter=Colour&value=Red", "filter=GoodEvil", "value=Good", "filter=GoodEvil&value=<b>"]
)
def test_a_bad_filter_is_a_400(client: FlaskClient, query: str) -> None:
    assert_json_error(client.get(f"/mysfits?{query}"), 400)


def test_a_profile_has_description_and_age(client: FlaskClient, repository: FakeRepository) -> None:
    mysfit = first_mysfit(repository)

    body = client.get(f"/mysfits/{mysfit.mysfit_id}").get_json()

    assert body["description"] == mysfit.description
    assert body["age"] == mysfit.age
    assert body["likes"] == 0 and body["adopted"] is False


@pytest.mark.parametrize("mysfit_id", ["no-such-mysfit", "x" * 200, "bad%20id"])
def test_an_unknown_or_malformed_id_is_a_json_404(client: FlaskClient, mysfit_id: str) -> None:
    assert_json_error(client.get(f"/mysfits/{mysfit_id}"), 404)
    assert_json_error(client.post(f"/mysfits/{mysfit_id}/like"), 404)


def test_a_like_is_accepted_with_202_and_its_event_id(
    client: FlaskClient, repository: FakeRepository, publisher: RecordingPublisher
) -> None:
    mysfit = first_mysfit(repository)

    response = client.post(f"/mysfits/{mysfit.mysfit_id}/like", headers={"X-Correlation-Id": "corr-42"})

    assert response.status_code == 202
    assert response.get_json() == {"status": "accepted", "eventId": publisher.events[0].event_id}
    assert response.headers["X-Correlation-Id"] == "corr-42"
    assert publisher.events[0].correlation_id == "corr-42"


def test_a_like_retried_with_its_idempotency_key_is_the_same_event_and_counts_once(
    client: FlaskClient, repository: FakeRepository, publisher: RecordingPublisher
) -> None:
    # GIVEN a client whose first answer was lost, and a worker that fulfils what is published
    mysfit = first_mysfit(repository)
    url = f"/mysfits/{mysfit.mysfit_id}/like"

    first = client.post(url, headers={"Idempotency-Key": "click-1"})
    retry = client.post(url, headers={"Idempotency-Key": '"click-1"'})  # the draft's quoted form
    other = client.post(url, headers={"Idempotency-Key": "click-2"})
    for event in publisher.events:
        assert isinstance(event, LikeRequested)
        repository.apply_like(event)

    assert first.status_code == retry.status_code == other.status_code == 202
    assert first.get_json()["eventId"] == retry.get_json()["eventId"] != other.get_json()["eventId"]
    assert repository.mysfits[mysfit.mysfit_id].likes == mysfit.likes + 2


def test_one_key_on_another_mysfit_or_action_is_another_event(
    client: FlaskClient, repository: FakeRepository, publisher: RecordingPublisher
) -> None:
    first, second = list(repository.mysfits)[:2]
    headers = {"Idempotency-Key": "same-key"}

    ids = {
        client.post(f"/mysfits/{first}/like", headers=headers).get_json()["eventId"],
        client.post(f"/mysfits/{second}/like", headers=headers).get_json()["eventId"],
        client.post(f"/mysfits/{first}/adopt", headers=headers).get_json()["eventId"],
    }

    assert len(ids) == 3


@pytest.mark.parametrize("key", ["", '""', "a" * 256, "with space", 'in"side', "caf\u00e9", '"unclosed'])
def test_a_malformed_idempotency_key_is_400_and_publishes_nothing(
    client: FlaskClient, repository: FakeRepository, publisher: RecordingPublisher, key: str
) -> None:
    response = client.post(f"/mysfits/{first_mysfit(repository).mysfit_id}/like", headers={"Idempotency-Key": key})

    assert_json_error(response, 400, "invalid_idempotency_key")
    assert publisher.events == []


def test_the_adoption_that_won_retried_with_its_key_is_accepted_again_and_a_rival_is_409(
    client: FlaskClient, repository: FakeRepository, publisher: RecordingPublisher
) -> None:
    # GIVEN an adoption accepted and fulfilled, whose client never saw the 202
    mysfit = first_mysfit(repository)
    url = f"/mysfits/{mysfit.mysfit_id}/adopt"
    won = client.post(url, headers={"Idempotency-Key": "winner"})
    adoption = publisher.events[0]
    assert isinstance(adoption, AdoptionRequested)
    repository.apply_adoption(adoption)

    retry = client.post(url, headers={"Idempotency-Key": "winner"})
    rival = client.post(url, headers={"Idempotency-Key": "rival"})

    assert retry.status_code == 202
    assert retry.get_json()["eventId"] == won.get_json()["eventId"]
    assert_json_error(rival, 409, "already_adopted")


def test_sns_down_gives_503_with_retry_after(
    client: FlaskClient, repository: FakeRepository, publisher: RecordingPublisher
) -> None:
    publisher.down = True

    response = client.post(f"/mysfits/{first_mysfit(repository).mysfit_id}/like")

    assert_json_error(response, 503)
    assert response.headers["Retry-After"] == "5"


def test_a_like_whose_own_entry_of_a_batch_is_refused_gets_503_and_its_neighbour_202(
    repository: FakeRepository,
) -> None:
    # GIVEN the batching publisher in front of an SNS that refuses the entries of one mysfit
    refused, accepted = list(repository.mysfits)[:2]
    sns = GatedBatchPublisher()
    sns.failing = {refused}
    client = create_app(Settings(), service=MysfitsService(repository, BatchingPublisher(sns))).test_client()

    assert_json_error(client.post(f"/mysfits/{refused}/like"), 503)
    assert client.post(f"/mysfits/{accepted}/like").status_code == 202
    assert [event.mysfit_id for event in sns.published] == [accepted]


def test_closing_the_app_flushes_its_publisher(app: Flask, publisher: RecordingPublisher) -> None:
    close_app(app)

    assert publisher.closed


def test_adopting_an_adopted_mysfit_is_409(client: FlaskClient, repository: FakeRepository) -> None:
    mysfit = first_mysfit(repository)
    repository.apply_adoption(AdoptionRequested(mysfit_id=mysfit.mysfit_id))

    assert_json_error(client.post(f"/mysfits/{mysfit.mysfit_id}/adopt"), 409, "already_adopted")


def test_malformed_json_is_400_and_other_content_types_415(client: FlaskClient, repository: FakeRepository) -> None:
    url = f"/mysfits/{first_mysfit(repository).mysfit_id}/like"

    assert_json_error(client.post(url, data="{nope", content_type="application/json"), 400, "malformed_json")
    assert_json_error(client.post(url, data="a=b", content_type="text/plain"), 415)


def test_an_oversized_body_is_413(client: FlaskClient, repository: FakeRepository) -> None:
    url = f"/mysfits/{first_mysfit(repository).mysfit_id}/like"

    assert_json_error(client.post(url, data="x" * 5000, content_type="application/json"), 413)


def test_a_wrong_method_is_a_json_405(client: FlaskClient) -> None:
    response = client.delete("/mysfits")

    assert_json_error(response, 405)
    assert "GET" in response.headers["Allow"]


def test_an_unknown_route_is_a_json_404(client: FlaskClient) -> None:
    assert_json_error(client.get("/nowhere"), 404)


def fulfil(
    client: FlaskClient, event: LikeRequested | AdoptionRequested, action: str, secret: str | None = SECRET
) -> TestResponse:
    headers = {} if secret is None else {"X-Fulfil-Secret": secret}
    return client.post(f"/mysfits/{event.mysfit_id}/fulfill-{action}", json=event.to_message(), headers=headers)


@pytest.mark.parametrize("secret", [None, "", "wrong", SECRET + "x"])
def test_fulfil_without_the_right_secret_is_401_and_changes_nothing(
    client: FlaskClient, repository: FakeRepository, secret: str | None
) -> None:
    mysfit = first_mysfit(repository)

    assert_json_error(fulfil(client, LikeRequested(mysfit_id=mysfit.mysfit_id), "like", secret), 401)
    assert repository.mysfits[mysfit.mysfit_id].likes == 0


def test_fulfil_like_is_idempotent_by_event_id(client: FlaskClient, repository: FakeRepository) -> None:
    event = LikeRequested(mysfit_id=first_mysfit(repository).mysfit_id)

    first, second = fulfil(client, event, "like"), fulfil(client, event, "like")

    assert (first.status_code, first.get_json()["status"]) == (200, "applied")
    assert (second.status_code, second.get_json()["status"]) == (200, "duplicate")
    assert repository.mysfits[event.mysfit_id].likes == 1


def test_fulfil_adopt_lets_one_event_win(client: FlaskClient, repository: FakeRepository) -> None:
    mysfit_id = first_mysfit(repository).mysfit_id
    winner, rival = AdoptionRequested(mysfit_id=mysfit_id), AdoptionRequested(mysfit_id=mysfit_id)

    assert fulfil(client, winner, "adopt").status_code == 200
    assert_json_error(fulfil(client, rival, "adopt"), 409, "already_adopted")
    assert fulfil(client, winner, "adopt").get_json()["status"] == "duplicate"


def test_fulfil_adopt_of_an_unknown_mysfit_is_404_and_creates_nothing(
    client: FlaskClient, repository: FakeRepository
) -> None:
    assert_json_error(fulfil(client, AdoptionRequested(mysfit_id="ghost"), "adopt"), 404)
    assert "ghost" not in repository.mysfits


def test_fulfil_refuses_an_event_for_another_mysfit_or_of_another_type(
    client: FlaskClient, repository: FakeRepository
) -> None:
    mysfit_id = first_mysfit(repository).mysfit_id
    other = LikeRequested(mysfit_id="someone-else")
    url = f"/mysfits/{mysfit_id}/fulfill-like"

    response = client.post(url, json=other.to_message(), headers={"X-Fulfil-Secret": SECRET})
    assert_json_error(response, 400, "mysfit_mismatch")
    assert_json_error(fulfil(client, AdoptionRequested(mysfit_id=mysfit_id), "like"), 400, "wrong_event_type")
    bad = {**LikeRequested(mysfit_id=mysfit_id).to_message(), "schemaVersion": 9}
    headers = {"X-Fulfil-Secret": SECRET}
    response = client.post(url, data=json.dumps(bad), content_type="application/json", headers=headers)
    assert_json_error(response, 400, "invalid_event")


def test_liveness_touches_no_dependency_and_says_nothing_of_them(
    client: FlaskClient, repository: FakeRepository
) -> None:
    # GIVEN DynamoDB down: what the load balancer and ECS ask must not take every task out with it
    repository.down = True

    for path in ("/health", "/"):
        response = client.get(path)
        assert response.status_code == 200
        assert response.get_json()["status"] == "ok" and "checks" not in response.get_json()


def test_readiness_is_503_naming_the_dependency_that_is_down(client: FlaskClient, repository: FakeRepository) -> None:
    repository.down = True

    response = client.get("/ready")

    assert response.status_code == 503
    body = response.get_json()
    assert body["ready"] is False and body["checks"]["dynamodb"].startswith("error")


def test_readiness_is_200_when_every_dependency_answers(client: FlaskClient) -> None:
    response = client.get("/ready")

    assert response.status_code == 200
    assert response.get_json() == {"ready": True, "checks": {"dynamodb": "ok", "sns": "ok"}}


def test_cors_allows_the_configured_origin_only(client: FlaskClient) -> None:
    allowed = client.get("/mysfits", headers={"Origin": "http://site.test"})
    other = client.get("/mysfits", headers={"Origin": "http://evil.test"})

    assert allowed.headers["Access-Control-Allow-Origin"] == "http://site.test"
    assert "Access-Control-Allow-Origin" not in other.headers


def test_cors_lets_the_site_send_an_idempotency_key_and_read_retry_after(client: FlaskClient) -> None:
    preflight = client.options(
        "/mysfits/any/like",
        headers={
            "Origin": "http://site.test",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "idempotency-key",
        },
    )

    allowed = {name.strip().lower() for name in preflight.headers["Access-Control-Allow-Headers"].split(",")}
    exposed = {name.strip().lower() for name in preflight.headers["Access-Control-Expose-Headers"].split(",")}
    assert "idempotency-key" in allowed
    assert {"retry-after", "x-correlation-id"} <= exposed


def fulfil_batch(client: FlaskClient, events: list[LikeRequested], secret: str = SECRET) -> TestResponse:
    body = {"events": [event.to_message() for event in events]}
    return client.post("/mysfits/batch/fulfill-likes", json=body, headers={"X-Fulfil-Secret": secret})


def test_a_batch_of_likes_is_counted_once_each_with_a_status_per_event(
    client: FlaskClient, repository: FakeRepository
) -> None:
    mysfit_id = first_mysfit(repository).mysfit_id
    first, second = LikeRequested(mysfit_id=mysfit_id), LikeRequested(mysfit_id=mysfit_id)
    fulfil_batch(client, [first])

    response = fulfil_batch(client, [first, second, LikeRequested(mysfit_id="ghost")])

    assert response.status_code == 200
    assert [r["status"] for r in response.get_json()["results"]] == ["duplicate", "applied", "not_found"]
    assert repository.mysfits[mysfit_id].likes == 2
    assert "ghost" not in repository.mysfits


def test_in_a_batch_a_busy_or_corrupt_mysfit_settles_only_its_own_likes(
    repository: FakeRepository, publisher: RecordingPublisher
) -> None:
    client = create_app(Settings(fulfil_secret=SECRET), service=MysfitsService(repository, publisher)).test_client()
    # GIVEN a batch for three mysfits: one busy (a conflict), one whose record cannot take a like
    good, busy, corrupt = [m.mysfit_id for m in list(repository.mysfits.values())[:3]]
    repository.busy.add(busy)
    repository.corrupt.add(corrupt)
    before = {m: repository.mysfits[m].likes for m in (good, busy, corrupt)}
    batch = [LikeRequested(mysfit_id=m) for m in (good, busy, good, corrupt, good)]

    # WHEN the worker hands it over
    response = fulfil_batch(client, batch)

    # THEN each event has its own status, the good likes count once each in one write of their item,
    # and nothing is written for the others
    assert response.status_code == 200, response.get_json()
    assert [r["status"] for r in response.get_json()["results"]] == [
        "applied", "retry", "applied", "failed", "applied",
    ]
    assert repository.mysfits[good].likes == before[good] + 3
    assert repository.item_writes == {good: 1}
    assert (repository.mysfits[busy].likes, repository.mysfits[corrupt].likes) == (before[busy], before[corrupt])

    # WHEN the item is free again and the batch comes back (at-least-once delivery)
    repository.busy.clear()
    again = fulfil_batch(client, batch)

    # THEN what was applied is a duplicate, and the busy mysfit's like counts now
    assert [r["status"] for r in again.get_json()["results"]] == [
        "duplicate", "applied", "duplicate", "failed", "duplicate",
    ]
    assert repository.mysfits[busy].likes == before[busy] + 1
    assert repository.mysfits[good].likes == before[good] + 3


def test_fulfil_like_of_a_busy_item_is_503_and_of_a_corrupt_one_422_and_neither_is_counted(
    client: FlaskClient, repository: FakeRepository
) -> None:
    busy, corrupt = list(repository.mysfits)[:2]
    repository.busy.add(busy)
    repository.corrupt.add(corrupt)

    busy_response = fulfil(client, LikeRequested(mysfit_id=busy), "like")
    corrupt_response = fulfil(client, LikeRequested(mysfit_id=corrupt), "like")

    # Busy, not down: the worker retries it in moments, holding its message, rather than backing off
    assert_json_error(busy_response, 503, "item_busy")
    assert busy_response.headers["Retry-After"] == "1"
    assert_json_error(corrupt_response, 422, "unprocessable_event")
    assert (repository.mysfits[busy].likes, repository.mysfits[corrupt].likes) == (0, 0)
    assert repository.markers == {}


# Every route that reads or writes DynamoDB, called for one mysfit.
DYNAMODB_ROUTES: dict[str, Callable[[FlaskClient, str], TestResponse]] = {
    "list": lambda client, mysfit_id: client.get("/mysfits"),
    "filter": lambda client, mysfit_id: client.get("/mysfits?filter=GoodEvil&value=Good"),
    "profile": lambda client, mysfit_id: client.get(f"/mysfits/{mysfit_id}"),
    "like": lambda client, mysfit_id: client.post(f"/mysfits/{mysfit_id}/like"),
    "adopt": lambda client, mysfit_id: client.post(f"/mysfits/{mysfit_id}/adopt"),
    "fulfill-like": lambda client, mysfit_id: fulfil(client, LikeRequested(mysfit_id=mysfit_id), "like"),
    "fulfill-adopt": lambda client, mysfit_id: fulfil(client, AdoptionRequested(mysfit_id=mysfit_id), "adopt"),
    "fulfill-likes": lambda client, mysfit_id: fulfil_batch(
        client, [LikeRequested(mysfit_id=mysfit_id), LikeRequested(mysfit_id=mysfit_id)]
    ),
}


@pytest.mark.parametrize("route", DYNAMODB_ROUTES.values(), ids=list(DYNAMODB_ROUTES))
def test_while_dynamodb_is_down_each_route_that_needs_it_is_503_and_changes_nothing(
    client: FlaskClient,
    repository: FakeRepository,
    publisher: RecordingPublisher,
    route: Callable[[FlaskClient, str], TestResponse],
) -> None:
    mysfit = first_mysfit(repository)
    repository.down = True

    response = route(client, mysfit.mysfit_id)

    # A batch too is refused whole, not answered "retry" per event: the worker backs it all off.
    assert_json_error(response, 503, "service_unavailable")
    assert response.headers["Retry-After"] == "5"
    assert repository.mysfits[mysfit.mysfit_id] == mysfit
    assert repository.markers == {}
    assert publisher.events == []


@pytest.mark.parametrize(
    "body",
    [{}, {"events": []}, {"events": "x"}, {"events": [1]}, {"events": [{"eventType": "LikeRequested"}]}],
)
def test_a_malformed_batch_is_400(client: FlaskClient, body: dict[str, object]) -> None:
    response = client.post("/mysfits/batch/fulfill-likes", json=body, headers={"X-Fulfil-Secret": SECRET})

    assert_json_error(response, 400)


def test_a_batch_needs_the_secret_holds_likes_only_and_is_bounded(
    client: FlaskClient, repository: FakeRepository
) -> None:
    mysfit_id = first_mysfit(repository).mysfit_id

    assert_json_error(fulfil_batch(client, [LikeRequested(mysfit_id=mysfit_id)], secret="wrong"), 401)
    mixed = {"events": [AdoptionRequested(mysfit_id=mysfit_id).to_message()]}
    headers = {"X-Fulfil-Secret": SECRET}
    assert_json_error(client.post("/mysfits/batch/fulfill-likes", json=mixed, headers=headers), 400, "wrong_event_type")
    too_many = [LikeRequested(mysfit_id=mysfit_id) for _ in range(MAX_BATCH + 1)]
    assert_json_error(fulfil_batch(client, too_many), 400, "invalid_batch")
    assert repository.mysfits[mysfit_id].likes == 0


def test_a_corrupt_record_read_alone_is_a_json_500_that_names_it(
    client: FlaskClient, repository: FakeRepository, monkeypatch: pytest.MonkeyPatch
) -> None:
    def corrupt(mysfit_id: str) -> None:
        raise CorruptRecord(mysfit_id, "invalid literal for int() with base 10: 'not a number'")

    monkeypatch.setattr(repository, "get", corrupt)

    response = client.get("/mysfits/c0ffee00-0000-4000-8000-000000000000")

    assert_json_error(response, 500)
    assert response.get_json()["error"]["code"] == "corrupt_record"
    assert "c0ffee00-0000-4000-8000-000000000000" in response.get_json()["error"]["message"]


def test_a_like_answers_503_within_its_budget_when_sns_hangs_and_its_event_is_never_sent(
    repository: FakeRepository,
) -> None:
    # GIVEN an SNS that does not answer a batch already in flight, and a budget of half a second
    sns = GatedBatchPublisher()
    batcher = BatchingPublisher(sns, max_in_flight=1)
    settings = Settings(request_budget_seconds=0.5)
    client = create_app(settings, service=MysfitsService(repository, batcher)).test_client()
    first, second = list(repository.mysfits)[:2]
    sns.gate.clear()
    stuck = threading.Thread(target=client.post, args=(f"/mysfits/{first}/like",))
    stuck.start()
    assert sns.entered.acquire(timeout=10)

    # WHEN another like arrives
    started = time.monotonic()
    response = client.post(f"/mysfits/{second}/like")

    # THEN it is a 503 with Retry-After once its budget is spent, not an answer after SNS's
    assert_json_error(response, 503, "service_unavailable")
    assert response.headers["Retry-After"] == "5"
    assert time.monotonic() - started < 5
    sns.gate.set()
    stuck.join(10)
    batcher.close()
    assert [event.mysfit_id for event in sns.published] == [first]


def test_a_whole_batch_of_likes_fits_the_batch_routes_body_limit_though_not_the_public_one(
    client: FlaskClient, repository: FakeRepository
) -> None:
    # GIVEN a body limit of 1 KB for the public routes, and a worker's batch of a transaction's worth
    mysfit_id = first_mysfit(repository).mysfit_id
    batch = [LikeRequested(mysfit_id=mysfit_id) for _ in range(MAX_BATCH)]

    response = fulfil_batch(client, batch)

    assert response.status_code == 200, response.get_json()
    assert repository.mysfits[mysfit_id].likes == MAX_BATCH
    assert_json_error(client.post(f"/mysfits/{mysfit_id}/like", data="x" * 2048,
                                  headers={"Content-Type": "application/json"}), 413)


@pytest.fixture
def split_client(repository: FakeRepository, publisher: RecordingPublisher) -> FlaskClient:
    """The app as it runs on AWS: the internal routes on their own port (INTERNAL_PORT), 8081 here."""
    settings = Settings(fulfil_secret=SECRET, max_body_bytes=1024, internal_port=8081)
    return create_app(settings, service=MysfitsService(repository, publisher)).test_client()


@pytest.mark.parametrize(
    "path",
    [
        "/mysfits/{id}/fulfill-like",
        "/mysfits/{id}/%66ulfill-like",  # percent-encoded: what a path pattern at the load balancer lets by
        "/mysfits/{id}/fulfill-adopt",
        "/mysfits/batch/fulfill-likes",
        "/ready",
    ],
)
@pytest.mark.parametrize("method", ["GET", "POST", "OPTIONS"])
def test_the_public_port_has_no_internal_route_at_all(
    split_client: FlaskClient, repository: FakeRepository, path: str, method: str
) -> None:
    mysfit_id = first_mysfit(repository).mysfit_id
    event = LikeRequested(mysfit_id=mysfit_id).to_message()

    response = split_client.open(
        path.format(id=mysfit_id), method=method, json=event, headers={"X-Fulfil-Secret": SECRET}
    )

    # the same answer as a path that exists nowhere: no 401, no 405 or Allow header to say it is there
    assert_json_error(response, 404, "not_found")
    assert "Allow" not in response.headers
    assert repository.mysfits[mysfit_id].likes == 0


def test_the_internal_port_serves_the_internal_routes_and_the_public_ones(
    split_client: FlaskClient, repository: FakeRepository
) -> None:
    mysfit_id = first_mysfit(repository).mysfit_id
    event = LikeRequested(mysfit_id=mysfit_id)
    internal = "http://monolith:8081"

    headers = {"X-Fulfil-Secret": SECRET}
    url = f"/mysfits/{mysfit_id}/fulfill-like"
    fulfilled = split_client.post(url, json=event.to_message(), headers=headers, base_url=internal)

    assert fulfilled.status_code == 200
    assert split_client.get("/ready", base_url=internal).status_code == 200
    # the adopt worker reads a mysfit through the internal port too
    assert split_client.get(f"/mysfits/{mysfit_id}", base_url=internal).get_json()["likes"] == 1
    assert split_client.get(f"/mysfits/{mysfit_id}").status_code == 200  # public routes on the public port
