"""A real browser (Debian's Chromium, driven by Playwright) against a real embedded system with its website."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, ViewportSize, sync_playwright

from embedded.system import EmbeddedSystem
from tests.e2e.client import Api
from tests.systems import running_system

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
DESKTOP: ViewportSize = {"width": 1280, "height": 900}
PHONE: ViewportSize = {"width": 375, "height": 740}
CONFIGURED_ORIGIN = "http://example.test"


@pytest.fixture(scope="session")
def system(emulator: str, output_dir: Path) -> Iterator[EmbeddedSystem]:
    """A system of the website tests' own (its own stacks on the session's emulator): they like and
    adopt catalogue mysfits, and see exactly the 12 of them."""
    with running_system(
        output_dir,
        "website-system",
        endpoint_url=emulator,
        project="website",
        serve_website=True,
        cors_allowed_origins=(CONFIGURED_ORIGIN,),
    ) as running:
        yield running


@pytest.fixture(scope="session")
def api(system: EmbeddedSystem) -> Iterator[Api]:
    with Api(system.api_url) as api:
        yield api


@pytest.fixture(scope="session")
def site_url(system: EmbeddedSystem) -> str:
    return system.website_url + "/"


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A fresh desktop-sized page; a script error on it fails the test."""
    yield from _page(browser, DESKTOP)


@pytest.fixture
def phone(browser: Browser) -> Iterator[Page]:
    yield from _page(browser, PHONE)


def _page(browser: Browser, viewport: ViewportSize) -> Iterator[Page]:
    context = browser.new_context(viewport=viewport)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page
    context.close()
    assert not errors, f"script errors on the page: {errors}"


@pytest.fixture(scope="session")
def screenshots(output_dir: Path) -> Path:
    path = output_dir / "screenshots"
    path.mkdir(exist_ok=True)
    return path
