"""A like or an adoption whose answer is lost is sent again with the same Idempotency-Key; a 4xx is final.

With a route on the page, Playwright answers CORS preflights itself: the test that routes nothing is
the one that proves the real API lets the site send the header.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable

import pytest
from playwright.sync_api import Page, Request, Route, expect

from tests.e2e.client import Api, eventually
from tests.website.site import CONFIRM_TIMEOUT_MS, MysfitsSite, answer_as_the_api

pytestmark = pytest.mark.e2e

# The draft's form: a Structured-Field string holding a uuid4.
WELL_FORMED_KEY = re.compile(r'^"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"$')
Failure = Callable[[Route], None]


class Attempts:
    """Every POST the page sends to one action, answered by the failures given, in turn, then by the real API."""

    def __init__(self, page: Page, action: str, failures: list[Failure]) -> None:
        self.failures = list(failures)
        self.keys: list[str | None] = []
        self.times: list[float] = []
        page.route(f"**/mysfits/*/{action}", self._handle)

    def _handle(self, route: Route) -> None:
        if route.request.method != "POST":  # a preflight, should Playwright ever hand one over
            route.fallback()
            return
        self.keys.append(route.request.headers.get("idempotency-key"))
        self.times.append(time.monotonic())
        if self.failures:
            self.failures.pop(0)(route)
        else:
            route.fallback()


def unavailable(retry_after: int) -> Failure:
    def fail(route: Route) -> None:
        answer_as_the_api(
            route,
            503,
            {"error": {"code": "service_unavailable", "message": "the event was not published in time"}},
            {"Retry-After": str(retry_after)},
        )

    return fail


def connection_reset(route: Route) -> None:
    route.abort("connectionreset")


def not_found(route: Route) -> None:
    answer_as_the_api(route, 404, {"error": {"code": "not_found", "message": "no such mysfit"}})


@pytest.mark.parametrize(
    ("name", "failure", "least_wait_seconds"),
    [
        # Retry-After: 1, where the page's own first back-off is a quarter of a second
        pytest.param("Tumbleroot", unavailable(retry_after=1), 0.75, id="503-with-retry-after"),
        pytest.param("Bramblewick", connection_reset, 0.0, id="network-failure"),
    ],
)
def test_a_like_whose_first_answer_is_lost_is_sent_again_with_the_same_key_and_counted_once(
    page: Page, site_url: str, api: Api, name: str, failure: Failure, least_wait_seconds: float
) -> None:
    # GIVEN a first attempt that fails without saying whether the like was taken
    attempts = Attempts(page, "like", [failure])
    site = MysfitsSite(page, site_url).open()
    card = site.card(name)
    mysfit_id = card.get_attribute("data-mysfit-id") or ""
    before = site.likes(card)

    # WHEN a visitor likes the mysfit
    site.like_button(card).click()

    # THEN the page sends it again with the same key, and the like is accepted and counted, once
    expect(card).to_have_attribute("data-like-state", "confirmed", timeout=CONFIRM_TIMEOUT_MS)
    expect(card.locator(".like__count")).to_have_text(str(before + 1))
    expect(site.notice).to_be_hidden()
    first_key = attempts.keys[0]
    assert first_key is not None and WELL_FORMED_KEY.match(first_key), first_key
    assert attempts.keys == [first_key, first_key]
    assert attempts.times[1] - attempts.times[0] >= least_wait_seconds
    assert api.likes(mysfit_id) == before + 1

    # WHEN the visitor likes it again: a new click is a new like, with a key of its own
    site.like_button(card).click()

    expect(card.locator(".like__count")).to_have_text(str(before + 2))
    expect(card).to_have_attribute("data-like-state", "confirmed", timeout=CONFIRM_TIMEOUT_MS)
    second_key = attempts.keys[-1]
    assert len(attempts.keys) == 3
    assert second_key is not None and WELL_FORMED_KEY.match(second_key) and second_key != first_key
    assert api.likes(mysfit_id) == before + 2


def test_a_404_is_final_and_not_sent_again(page: Page, site_url: str) -> None:
    attempts = Attempts(page, "like", [not_found] * 4)
    site = MysfitsSite(page, site_url).open()
    card = site.card("Vexley")
    before = site.likes(card)

    site.like_button(card).click()

    expect(site.notice).to_contain_text("That mysfit seems to have wandered off")
    expect(card.locator(".like__count")).to_have_text(str(before))
    assert len(attempts.keys) == 1


def test_a_409_is_final_and_not_sent_again(page: Page, site_url: str, api: Api) -> None:
    # GIVEN a page that still offers Cinderpaw, adopted meanwhile by someone else
    attempts = Attempts(page, "adopt", [])
    site = MysfitsSite(page, site_url).open()
    card = site.card("Cinderpaw")
    mysfit_id = card.get_attribute("data-mysfit-id") or ""
    assert api.adopt(mysfit_id).status_code == 202
    eventually(lambda: api.mysfit(mysfit_id)["adopted"], bool)

    # WHEN the visitor adopts it
    site.adopt_button(card).click()

    # THEN the API's 409 is the answer, at the first attempt
    expect(site.adopt_button(card)).to_have_text("Already adopted")
    assert len(attempts.keys) == 1


def test_without_crypto_random_uuid_the_page_makes_its_keys_from_get_random_values(page: Page, site_url: str) -> None:
    # GIVEN a browser without crypto.randomUUID (a page served over plain http from another host)
    page.add_init_script("delete Crypto.prototype.randomUUID;")
    sent: list[Request] = []
    page.on("request", lambda request: sent.append(request) if request.method == "POST" else None)
    site = MysfitsSite(page, site_url).open()
    assert page.evaluate("typeof crypto.randomUUID") == "undefined"
    card = site.card("Nyxabelle")
    before = site.likes(card)

    # WHEN a visitor likes the mysfit twice
    site.like_button(card).click()
    site.like_button(card).click()

    # THEN the real API, preflight included, took both likes, each with a well-formed key of its own
    expect(card).to_have_attribute("data-like-state", "confirmed", timeout=CONFIRM_TIMEOUT_MS)
    expect(card.locator(".like__count")).to_have_text(str(before + 2))
    keys = [request.headers.get("idempotency-key") or "" for request in sent]
    assert len(keys) == 2 and keys[0] != keys[1]
    assert all(WELL_FORMED_KEY.match(key) for key in keys), keys
