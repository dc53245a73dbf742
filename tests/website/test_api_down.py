"""With the API unreachable the page says so, offers a retry, and recovers when the API is back."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, Route, expect

from embedded.processes import free_port
from embedded.website import WebsiteServer
from tests.website.site import MysfitsSite

pytestmark = pytest.mark.e2e


def test_with_the_api_down_the_page_shows_an_error_instead_of_a_blank_grid(page: Page, screenshots: Path) -> None:
    with WebsiteServer(api_url=f"http://127.0.0.1:{free_port()}", port=0) as nowhere:
        site = MysfitsSite(page, nowhere.url + "/")
        page.goto(site.url)

        expect(site.load_error).to_be_visible()
        expect(site.load_error).to_have_attribute("role", "alert")
        expect(site.load_error).to_contain_text("We couldn't reach the Mysfits API")
        expect(site.cards).to_have_count(0)
        page.screenshot(path=screenshots / "api-down.png", animations="disabled")

        site.load_error.get_by_role("button", name="Try again").click()
        expect(site.load_error).to_contain_text("We couldn't reach the Mysfits API")


def test_try_again_brings_the_grid_back_once_the_api_answers(page: Page, site_url: str) -> None:
    def down(route: Route) -> None:
        route.abort("connectionrefused")

    page.route("**/mysfits", down)
    site = MysfitsSite(page, site_url)
    page.goto(site_url)
    expect(site.load_error).to_be_visible()

    page.unroute("**/mysfits", down)
    site.load_error.get_by_role("button", name="Try again").click()

    expect(site.cards).to_have_count(12)
    expect(site.load_error).to_be_hidden()
