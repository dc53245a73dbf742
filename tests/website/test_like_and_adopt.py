"""Likes and adoptions from the page, processed by the real workers: optimistic first, then the API's truth."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, Page, Route, expect

from tests.e2e.client import Api
from tests.website.site import CONFIRM_TIMEOUT_MS, MysfitsSite, answer_as_the_api

pytestmark = pytest.mark.e2e


def test_a_like_shows_at_once_and_is_confirmed_once_the_worker_counted_it(page: Page, site_url: str, api: Api) -> None:
    site = MysfitsSite(page, site_url).open()
    card = site.card("Quillon")
    before = site.likes(card)

    site.like_button(card).click()

    # The heart reacts at once, and says it is not counted yet...
    expect(card.locator(".like__count")).to_have_text(str(before + 1))
    expect(card).to_have_attribute("data-like-state", "pending")
    expect(card.locator(".like__note")).to_have_text("counting…")
    # ...until the API, after the like worker ran, answers the new count.
    expect(card).to_have_attribute("data-like-state", "confirmed", timeout=CONFIRM_TIMEOUT_MS)
    expect(card.locator(".like__count")).to_have_text(str(before + 1))
    assert api.likes(card.get_attribute("data-mysfit-id") or "") == before + 1


def test_a_like_button_is_reached_with_tab_and_pressed_with_enter(page: Page, site_url: str, api: Api) -> None:
    site = MysfitsSite(page, site_url).open()

    for _ in range(30):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.matches('button.like')"):
            break
    else:
        pytest.fail("no like button reached with the Tab key")
    card = site.cards.filter(has=page.locator("button.like:focus"))
    before = site.likes(card)

    page.keyboard.press("Enter")

    expect(card.locator(".like__count")).to_have_text(str(before + 1))
    expect(card).to_have_attribute("data-like-state", "confirmed", timeout=CONFIRM_TIMEOUT_MS)
    expect(site.like_button(card)).to_be_focused()
    assert api.likes(card.get_attribute("data-mysfit-id") or "") == before + 1


def test_adopting_shows_pending_then_adopted_and_a_stale_page_learns_it_was_already_adopted(
    browser: Browser, page: Page, site_url: str, api: Api
) -> None:
    # GIVEN two visitors looking at Pippacorn, still up for adoption
    site = MysfitsSite(page, site_url).open()
    other_context = browser.new_context()
    other = MysfitsSite(other_context.new_page(), site_url).open()
    card, stale_card = site.card("Pippacorn"), other.card("Pippacorn")
    expect(site.adopt_button(stale_card)).to_have_text("Adopt me")

    # WHEN the first adopts
    site.adopt_button(card).click()

    # THEN it is pending until the adoption worker decided, then adopted
    expect(site.adopt_button(card)).to_have_text("Pending…")
    expect(site.adopt_button(card)).to_have_text("Adopted!", timeout=CONFIRM_TIMEOUT_MS)
    expect(card).to_have_attribute("data-adopted", "true")
    assert api.mysfit(card.get_attribute("data-mysfit-id") or "")["adopted"] is True

    # WHEN the second visitor, whose page still offers the button, adopts too
    other.adopt_button(stale_card).click()

    # THEN the 409 reads as "Already adopted", and the page goes on working
    expect(other.adopt_button(stale_card)).to_have_text("Already adopted")
    expect(other.notice).to_be_hidden()
    expect(other.cards).to_have_count(12)
    other.choose_filter("GoodEvil", "Good")
    expect(other.card("Pippacorn")).to_have_attribute("data-adopted", "true")
    other_context.close()

    # AND a reload shows the adoption
    site.open()
    expect(site.adopt_button(site.card("Pippacorn"))).to_have_text("Adopted!")


def test_an_api_error_on_a_like_is_a_readable_message_and_the_page_stays_usable(page: Page, site_url: str) -> None:
    site = MysfitsSite(page, site_url).open()
    card = site.card("Mirelda")
    before = site.likes(card)
    keys: list[str | None] = []

    def unavailable(route: Route) -> None:
        keys.append(route.request.headers.get("idempotency-key"))
        answer_as_the_api(
            route,
            503,
            {"error": {"code": "service_unavailable", "message": "a dependency is unavailable; retry later"}},
            {"Retry-After": "1"},
        )

    page.route("**/mysfits/*/like", unavailable)
    site.like_button(card).click()

    # A 503 is retried (same key, Retry-After apart) a bounded number of times before the page gives up.
    expect(site.notice).to_be_visible(timeout=10_000)
    assert len(keys) == 4 and len(set(keys)) == 1
    expect(site.notice).to_have_attribute("role", "alert")
    expect(site.notice).to_contain_text("Your like for Mirelda didn't go through")
    expect(site.notice).to_contain_text("try again")
    expect(card.locator(".like__count")).to_have_text(str(before))  # the optimistic +1 is taken back
    expect(card).to_have_attribute("data-like-state", "confirmed")

    page.unroute("**/mysfits/*/like")
    site.notice.get_by_role("button", name="Dismiss").click()
    expect(site.notice).to_be_hidden()
    site.like_button(card).click()
    expect(card).to_have_attribute("data-like-state", "confirmed", timeout=CONFIRM_TIMEOUT_MS)
    expect(card.locator(".like__count")).to_have_text(str(before + 1))
