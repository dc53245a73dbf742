"""The live pipeline page in Chromium: a load arrives in its queue and drains, a poisoned message lights its DLQ."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Locator, Page, expect

from embedded.system import EmbeddedSystem
from tests.e2e.client import Api, Aws
from tests.systems import running_system

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

DRAIN_TIMEOUT_MS = 60_000


@pytest.fixture(scope="module")
def pipeline_system(system: EmbeddedSystem, output_dir: Path) -> Iterator[EmbeddedSystem]:
    """Its own stacks in the website tests' emulator, its own website, and no worker until the test starts one."""
    with running_system(
        output_dir,
        "website-pipeline",
        endpoint_url=system.endpoint_url,
        project="pipeline",
        serve_website=True,
        run_workers=False,
        max_receive_count=2,
    ) as running:
        yield running


def count(page: Page, path: str) -> Locator:
    return page.locator(f'[data-count="{path}"]')


def test_a_load_shows_in_its_queue_then_drains_and_a_poisoned_message_lights_its_dlq(
    pipeline_system: EmbeddedSystem, page: Page, screenshots: Path
) -> None:
    assert pipeline_system.topology is not None
    api, aws = Api(pipeline_system.api_url), Aws(pipeline_system.endpoint_url, pipeline_system.topology)
    mysfit_id = aws.add_mysfit("pipeline-mysfit")
    page.goto(f"{pipeline_system.website_url}/pipeline.html")
    expect(count(page, "queues.like.queue.visible")).to_have_text("0")
    expect(page.locator('[data-queue="like.dlq"]')).to_have_attribute("data-state", "calm")
    likes_before = int(page.locator('[data-count="totals.likes"]').inner_text())

    # WHEN a small load arrives with no worker running, THEN it waits in the like queue
    assert [api.like(mysfit_id).status_code for _ in range(20)] == [202] * 20
    expect(count(page, "queues.like.queue.visible")).to_have_text("20")
    expect(count(page, "queues.adoption.queue.visible")).to_have_text("0")
    page.screenshot(path=str(screenshots / "pipeline-load-waiting.png"), full_page=True)

    # WHEN the like worker starts, THEN the queue drains to zero and the likes are counted
    pipeline_system.start_worker("like_worker")
    expect(count(page, "queues.like.queue.visible")).to_have_text("0", timeout=DRAIN_TIMEOUT_MS)
    expect(count(page, "queues.like.queue.inFlight")).to_have_text("0", timeout=DRAIN_TIMEOUT_MS)
    expect(count(page, "workers.like.counts.processed")).to_have_text("20", timeout=DRAIN_TIMEOUT_MS)
    expect(count(page, "totals.likes")).to_have_text(str(likes_before + 20), timeout=DRAIN_TIMEOUT_MS)
    expect(page.locator('[data-queue="like.dlq"]')).to_have_attribute("data-state", "calm")

    # WHEN a poisoned message is published, THEN the worker gives up on it and the like DLQ lights up
    aws.publish("this is not an event", "LikeRequested")
    expect(count(page, "queues.like.dlq.visible")).to_have_text("1", timeout=DRAIN_TIMEOUT_MS)
    expect(page.locator('[data-queue="like.dlq"]')).to_have_attribute("data-state", "alert")
    expect(page.locator("#pipeline-state")).to_contain_text("1 in the like dead-letter queue")
    expect(count(page, "workers.like.counts.failed")).to_have_text("2")  # once per receive, maxReceiveCount 2
    expect(page.locator('[data-queue="adoption.dlq"]')).to_have_attribute("data-state", "calm")
    page.screenshot(path=str(screenshots / "pipeline-dead-letter.png"), full_page=True)
    assert api.likes(mysfit_id) == 20


def test_the_page_says_so_when_the_api_has_the_view_off(page: Page, site_url: str) -> None:
    page.route(
        "**/pipeline",
        lambda route: route.fulfill(
            status=404,
            headers={"Access-Control-Allow-Origin": "*"},
            json={"error": {"code": "pipeline_view_off", "message": "off"}},
        ),
    )

    page.goto(site_url + "pipeline.html")

    expect(page.locator("#pipeline-state")).to_contain_text("The pipeline view is off")
