"""The retrieval pages in headless Chromium, against the real backend's default retriever;
screenshots go to test-artifacts/screenshots/retrieval_*.png for a person to look at."""

import time
from collections.abc import Iterator

import pytest

from testkit.browser import choose, explained, go, idle, launch, needs_chromium, open_app
from testkit.servers import REPO_ROOT
from ui.api_client import ApiClient

SCREENSHOTS = REPO_ROOT / "test-artifacts" / "screenshots"

pytestmark = [pytest.mark.browser, needs_chromium]
sync_api = pytest.importorskip("playwright.sync_api")


@pytest.fixture(scope="module")
def browser_page(frontend_url: str, api: ApiClient) -> Iterator["sync_api.Page"]:
    deadline = time.monotonic() + 300
    while not any(r.is_default and r.loaded for r in api.list_retrievers()):
        assert time.monotonic() < deadline, "the default retriever was not loaded in 300 s"
        time.sleep(0.3)
    with sync_api.sync_playwright() as playwright:
        browser = launch(playwright)
        context = browser.new_context(viewport={"width": 1440, "height": 1400})
        page = context.new_page()
        page.set_default_timeout(90_000)
        open_app(page, frontend_url)
        yield page
        context.close()
        browser.close()


def shot(page: "sync_api.Page", name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    idle(page)
    page.wait_for_timeout(1000)
    assert page.locator('[data-testid="stException"]').count() == 0
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def test_retrieval_pages_in_a_browser(browser_page: "sync_api.Page") -> None:
    with explained(browser_page, SCREENSHOTS, "retrieval"):
        walk_through(browser_page)


def walk_through(page: "sync_api.Page") -> None:
    go(page, "Search contexts")
    question = page.get_by_label("Question")
    question.fill("Какова глубина Байкала?")
    question.press("Enter")
    idle(page)
    page.locator("mark", has_text="глубина").first.wait_for()
    shot(page, "retrieval_search")

    go(page, "Retrieval latency")
    choose(page, "QA dataset", "QA demo data")
    page.get_by_role("button", name="Run the benchmark").click()
    idle(page)
    page.locator('[data-testid="stPlotlyChart"]').first.wait_for()
    shot(page, "retrieval_benchmark")

    go(page, "Retrieval quality")
    choose(page, "QA dataset", "QA demo data")
    page.get_by_role("button", name="Run the quality test").click()
    idle(page)
    page.get_by_text("MRR@10").first.wait_for()
    shot(page, "retrieval_quality")

    go(page, "Explore QA data")
    choose(page, "QA dataset", "QA demo data")
    page.get_by_text("contexts counted once").first.wait_for()
    page.get_by_role("tab", name="t-SNE of contexts").click()
    page.get_by_role("button", name="Compute the t-SNE map").click()
    idle(page)
    page.locator('[data-testid="stPlotlyChart"]').nth(9).wait_for()  # 9 charts, then the map
    page.get_by_role("tab", name="Lengths").click()
    shot(page, "retrieval_explore")
    page.get_by_role("tab", name="Stop words").click()
    shot(page, "retrieval_explore_stop_words")
    page.get_by_role("tab", name="t-SNE of contexts").click()
    shot(page, "retrieval_explore_tsne")

    go(page, "Retrievers")
    choose(page, "QA dataset", "QA demo data")
    page.get_by_text("distinct contexts").first.wait_for()
    shot(page, "retrieval_train")
