"""Browsing: the grid of the 12 catalogue mysfits, the filters, a profile, and a phone-sized screen."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from monolith.seed import catalogue
from tests.e2e.client import Api
from tests.website.site import MysfitsSite

pytestmark = pytest.mark.e2e

FILTERS = [
    ("GoodEvil", "Good"),
    ("GoodEvil", "Neutral"),
    ("GoodEvil", "Evil"),
    ("LawChaos", "Lawful"),
    ("LawChaos", "Neutral"),
    ("LawChaos", "Chaotic"),
]


def test_the_grid_shows_the_twelve_catalogue_mysfits(page: Page, site_url: str, screenshots: Path) -> None:
    site = MysfitsSite(page, site_url).open()

    expect(site.cards).to_have_count(12)
    assert sorted(site.names()) == sorted(m.name for m in catalogue())
    for mysfit in catalogue():
        card = site.card(mysfit.name)
        expect(card.locator(".card__species")).to_have_text(mysfit.species)
        expect(card.locator(".card__alignment")).to_contain_text(mysfit.good_evil)
        expect(card.locator(".card__alignment")).to_contain_text(mysfit.law_chaos)
        expect(site.adopt_button(card)).to_have_text("Adopt me")
        picture = card.locator("img")
        expect(picture).to_have_attribute("alt", f"{mysfit.name}, the {mysfit.species}")
        expect(picture).to_have_attribute("src", re.compile(re.escape(mysfit.thumb_image_uri) + "$"))
        # Every picture is drawn and served: none fell back to the mystery silhouette.
        expect(picture).to_have_js_property("complete", True)
        assert picture.evaluate("img => img.naturalWidth") > 0
        assert picture.evaluate("img => img.currentSrc").endswith(mysfit.thumb_image_uri)
    page.screenshot(path=screenshots / "grid.png", full_page=True, animations="disabled")


@pytest.mark.parametrize(("filter_name", "value"), FILTERS, ids=[f"{f}={v}" for f, v in FILTERS])
def test_a_filter_shows_exactly_the_mysfits_the_api_answers(
    page: Page, site_url: str, api: Api, filter_name: str, value: str
) -> None:
    site = MysfitsSite(page, site_url).open()
    answer = api.get("/mysfits", params={"filter": filter_name, "value": value}).json()["mysfits"]
    expected = sorted(m["name"] for m in answer)
    field = "good_evil" if filter_name == "GoodEvil" else "law_chaos"
    assert expected == sorted(m.name for m in catalogue() if getattr(m, field) == value)

    site.choose_filter(filter_name, value)

    expect(site.cards).to_have_count(len(expected))
    assert sorted(site.names()) == expected
    expect(site.filter_button(filter_name, value)).to_have_attribute("aria-pressed", "true")
    expect(site.filter_button("", "")).to_have_attribute("aria-pressed", "false")

    site.choose_filter("", "")
    expect(site.cards).to_have_count(12)


def test_a_profile_shows_description_and_age_and_closes_with_escape(
    page: Page, site_url: str, screenshots: Path
) -> None:
    bramblewick = next(m for m in catalogue() if m.name == "Bramblewick")
    site = MysfitsSite(page, site_url).open()
    portrait = site.card("Bramblewick").locator(".card__portrait")

    portrait.click()

    profile = site.profile
    expect(profile).to_be_visible()
    expect(profile.get_by_role("heading", name="Bramblewick")).to_be_visible()
    expect(profile.locator(".profile__description")).to_have_text(bramblewick.description)
    expect(profile.locator(".profile__age")).to_have_text(f"{bramblewick.age} years")
    expect(profile.locator(".profile__close")).to_be_focused()  # focus moves into the dialog
    expect(profile.locator("img")).to_have_attribute("alt", "Bramblewick, the Hedge Troll")
    page.screenshot(path=screenshots / "profile.png", animations="disabled")

    page.keyboard.press("Escape")

    expect(profile).to_be_hidden()
    expect(portrait).to_be_focused()  # and back to where the visitor was


def test_on_a_phone_the_layout_holds_without_horizontal_scrolling(
    phone: Page, site_url: str, screenshots: Path
) -> None:
    site = MysfitsSite(phone, site_url).open()

    expect(site.cards).to_have_count(12)
    assert not site.has_horizontal_scroll()
    phone.screenshot(path=screenshots / "phone-grid.png", animations="disabled")

    site.card("Gorvak").locator(".card__portrait").click()
    expect(site.profile.locator(".profile__description")).not_to_have_text("Fetching their story…")
    assert not site.has_horizontal_scroll()
    phone.screenshot(path=screenshots / "phone-profile.png", animations="disabled")
