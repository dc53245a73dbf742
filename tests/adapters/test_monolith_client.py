"""The workers' HTTP client against the real Flask app served over HTTP on a free port."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import requests
from werkzeug.serving import make_server

from embedded.processes import free_port
from monolith.app import create_app
from monolith.config import Settings
from monolith.service import MysfitsService
from mysfits_common.events import AdoptionRequested, LikeRequested
from mysfits_common.handlers import Busy, NotAuthorised, PermanentError, TransientError
from mysfits_common.monolith_client import MonolithClient
from mysfits_common.outcomes import Outcome
from tests.fakes import FakeRepository, RecordingPublisher, first_mysfit

SECRET = "client-test-secret"


@pytest.fixture
def repository() -> FakeRepository:
    return FakeRepository()


@contextmanager
def serving(app: Any) -> Iterator[str]:
    """``app`` served over HTTP on a free port; its base URL."""
    server = make_server("127.0.0.1", free_port(), app, threaded=True)
    # A short poll: shutdown() waits for the loop to look, every 0.5 s by default.
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def base_url(repository: FakeRepository) -> Iterator[str]:
    app = create_app(Settings(fulfil_secret=SECRET), service=MysfitsService(repository, RecordingPublisher()))
    with serving(app) as url:
        yield url


def test_fulfil_like_then_its_replay(base_url: str, repository: FakeRepository) -> None:
    client = MonolithClient(base_url, SECRET)
    event = LikeRequested(mysfit_id=first_mysfit(repository).mysfit_id)

    assert client.fulfil("like", event).body["status"] == "applied"
    assert client.fulfil("like", event).body["status"] == "duplicate"
    assert repository.mysfits[event.mysfit_id].likes == 1


def test_a_lost_adoption_is_rejected(base_url: str, repository: FakeRepository) -> None:
    client = MonolithClient(base_url, SECRET)
    mysfit_id = first_mysfit(repository).mysfit_id
    client.fulfil("adopt", AdoptionRequested(mysfit_id=mysfit_id))

    assert client.fulfil("adopt", AdoptionRequested(mysfit_id=mysfit_id)).outcome is Outcome.REJECTED


def test_an_unknown_mysfit_is_permanent(base_url: str) -> None:
    client = MonolithClient(base_url, SECRET)

    assert client.get_mysfit("ghost") is None
    with pytest.raises(PermanentError):
        client.fulfil("like", LikeRequested(mysfit_id="ghost"))


def test_a_wrong_secret_means_not_authorised_and_nothing_is_fulfilled(
    base_url: str, repository: FakeRepository
) -> None:
    client = MonolithClient(base_url, "wrong", retry_delay=0.01)
    mysfit = first_mysfit(repository)

    with pytest.raises(NotAuthorised, match="401"):
        client.fulfil("like", LikeRequested(mysfit_id=mysfit.mysfit_id))
    with pytest.raises(NotAuthorised, match="401"):
        client.fulfil_likes([LikeRequested(mysfit_id=mysfit.mysfit_id)])
    assert client.authorised() is False
    assert repository.mysfits[mysfit.mysfit_id].likes == 0


def test_a_secret_re_read_from_its_source_takes_effect_at_once(base_url: str, repository: FakeRepository) -> None:
    # GIVEN a client whose secret comes from a source that is wrong, then rotated to the right one
    source = {"secret": "old"}
    client = MonolithClient(base_url, lambda: source["secret"])
    assert client.authorised() is False

    # WHEN the source holds the right secret
    source["secret"] = SECRET

    # THEN the next calls use it, with no new client
    assert client.authorised() is True
    assert client.fulfil_likes([LikeRequested(mysfit_id=first_mysfit(repository).mysfit_id)])


def test_a_monolith_that_is_down_is_transient() -> None:
    client = MonolithClient(f"http://127.0.0.1:{free_port()}", SECRET, retry_delay=0.01)

    with pytest.raises(TransientError, match="ConnectionError"):
        client.fulfil("like", LikeRequested(mysfit_id="abc"))


def test_a_batch_of_likes_in_one_call(base_url: str, repository: FakeRepository) -> None:
    client = MonolithClient(base_url, SECRET)
    events = [LikeRequested(mysfit_id=first_mysfit(repository).mysfit_id) for _ in range(3)]

    ghost = LikeRequested(mysfit_id="ghost")

    results = client.fulfil_likes([*events, ghost])

    assert [results[event.event_id] for event in events] == [Outcome.PROCESSED] * 3
    assert isinstance(results[ghost.event_id], PermanentError) and "no such mysfit" in str(results[ghost.event_id])
    assert set(client.fulfil_likes(events).values()) == {Outcome.DUPLICATE}


def test_each_handler_thread_uses_a_session_of_its_own(base_url: str, repository: FakeRepository) -> None:
    # GIVEN a client whose sessions are recorded as they are made
    made: list[tuple[int, requests.Session]] = []

    def session() -> requests.Session:
        made.append((threading.get_ident(), requests.Session()))
        return made[-1][1]

    client = MonolithClient(base_url, SECRET, session_factory=session)
    mysfit = first_mysfit(repository)

    # WHEN ten threads like at once, as the consumer's handler pool does, twice each
    barrier = threading.Barrier(10)

    def like_twice() -> None:
        barrier.wait()
        for _ in range(2):
            client.fulfil_likes([LikeRequested(mysfit_id=mysfit.mysfit_id)])

    threads = [threading.Thread(target=like_twice) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)

    # THEN each thread had one session, never shared, reused for its second call; every like counted
    assert len(made) == 10 and len({ident for ident, _ in made}) == 10
    assert repository.mysfits[mysfit.mysfit_id].likes == 20


def test_a_fulfil_call_tells_the_monolith_its_budget_and_the_monolith_stops_before_it(
    base_url: str, repository: FakeRepository
) -> None:
    client = MonolithClient(base_url, SECRET, timeout=(1.0, 6.0))

    client.fulfil_likes([LikeRequested(mysfit_id=first_mysfit(repository).mysfit_id)])

    (deadline,) = repository.deadlines
    assert deadline is not None
    assert 4.0 < deadline.remaining() < 6.0 - 0.5


def test_an_item_that_stays_busy_is_busy_not_merely_transient(base_url: str, repository: FakeRepository) -> None:
    mysfit = first_mysfit(repository)
    repository.busy.add(mysfit.mysfit_id)
    client = MonolithClient(base_url, SECRET, retry_delay=0.01)

    with pytest.raises(Busy):
        client.fulfil("adopt", AdoptionRequested(mysfit_id=mysfit.mysfit_id))
    with pytest.raises(TransientError):  # an outage is not contention: the message backs off
        MonolithClient(f"http://127.0.0.1:{free_port()}", SECRET, retry_delay=0.01).fulfil(
            "adopt", AdoptionRequested(mysfit_id=mysfit.mysfit_id)
        )


@pytest.fixture
def proxy_answering_502() -> Iterator[str]:
    """A load balancer in front of no healthy monolith."""

    def app(_environ: object, start_response: Any) -> list[bytes]:
        start_response("502 Bad Gateway", [("Content-Type", "text/html")])
        return [b"<html>502 Bad Gateway</html>"]

    with serving(app) as url:
        yield url


def test_authorisation_is_not_confirmed_by_a_proxys_5xx_or_by_no_answer(proxy_answering_502: str) -> None:
    with pytest.raises(TransientError, match="502"):
        MonolithClient(proxy_answering_502, SECRET).authorised()
    with pytest.raises(TransientError, match="no answer"):
        MonolithClient(f"http://127.0.0.1:{free_port()}", SECRET).authorised()
