"""The website as the tests see it: a few named places on the page, found the way a visitor finds them."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import Locator, Page, Route, expect

CONFIRM_TIMEOUT_MS = 30_000  # a worker long-polls its queue; the page itself gives up after ~30 s


def answer_as_the_api(route: Route, status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> None:
    """Answer an intercepted API request with the CORS headers the monolith sends its site's origin:
    without Access-Control-Expose-Headers the page could not read Retry-After."""
    cors = {
        "Access-Control-Allow-Origin": route.request.headers.get("origin", "*"),
        "Access-Control-Expose-Headers": "X-Correlation-Id, Retry-After",
    }
    route.fulfill(status=status, headers={**cors, **(headers or {})}, json=body)


class MysfitsSite:
    def __init__(self, page: Page, url: str) -> None:
        self.page = page
        self.url = url

    def open(self) -> MysfitsSite:
        self.page.goto(self.url)
        self.wait_until_loaded()
        return self

    def wait_until_loaded(self) -> None:
        expect(self.page.locator("#mysfits")).to_have_attribute("aria-busy", "false")

    @property
    def cards(self) -> Locator:
        return self.page.locator("#mysfits > .card")

    def card(self, name: str) -> Locator:
        return self.cards.filter(has=self.page.get_by_role("heading", name=name, exact=True))

    def names(self) -> list[str]:
        return self.cards.locator(".card__name").all_inner_texts()

    def filter_button(self, filter_name: str, value: str) -> Locator:
        return self.page.locator(f'.filter[data-filter="{filter_name}"][data-value="{value}"]')

    def choose_filter(self, filter_name: str, value: str) -> None:
        self.filter_button(filter_name, value).click()
        self.wait_until_loaded()

    @staticmethod
    def likes(card: Locator) -> int:
        return int(card.locator(".like__count").inner_text())

    @staticmethod
    def like_button(card: Locator) -> Locator:
        return card.locator("button.like")

    @staticmethod
    def adopt_button(card: Locator) -> Locator:
        return card.locator("button.adopt")

    @property
    def load_error(self) -> Locator:
        return self.page.locator("#load-error")

    @property
    def notice(self) -> Locator:
        return self.page.locator("#notice")

    @property
    def profile(self) -> Locator:
        return self.page.locator("dialog#profile")

    def has_horizontal_scroll(self) -> bool:
        return bool(self.page.evaluate("document.documentElement.scrollWidth > window.innerWidth"))
