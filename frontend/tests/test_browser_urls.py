"""In headless Chromium: every page opens at its own URL, the root goes on to /upload, and
a link that names a dataset opens it (with the sidebar, even on a page that stops early)."""

import re

import pytest

from shared.schemas import DatasetRead
from testkit.browser import needs_chromium
from testkit.servers import REPO_ROOT

SCREENSHOTS = REPO_ROOT / "test-artifacts" / "screenshots"
TITLES = {
    "upload": "Upload data",
    "eda": "Explore the data",
    "train": "Train a model",
    "tasks": "Tasks",
    "models": "Models",
    "predict": "Predict",
    "compare": "Compare models by ROC",
    "label": "Label",
}

pytestmark = [pytest.mark.browser, needs_chromium]
sync_api = pytest.importorskip("playwright.sync_api")


def open_page(browser: "sync_api.Browser", url: str) -> "sync_api.Page":
    page = browser.new_page(viewport={"width": 1280, "height": 1000})
    page.set_default_timeout(90_000)
    page.goto(url)
    page.locator('[data-testid="stSidebar"]').wait_for()
    return page


def heading(page: "sync_api.Page", title: str) -> None:
    sync_api.expect(page.get_by_role("heading", name=title)).to_be_visible(timeout=90_000)
    assert page.get_by_text("Page not found").count() == 0


@pytest.mark.parametrize("key", list(TITLES))
def test_every_page_opens_at_its_own_url(
    browser: "sync_api.Browser", frontend_url: str, key: str
) -> None:
    page = open_page(browser, f"{frontend_url}/{key}")
    try:
        heading(page, TITLES[key])
        assert page.url.split("?")[0].endswith(f"/{key}")
    finally:
        page.close()


def test_the_root_goes_on_to_upload(browser: "sync_api.Browser", frontend_url: str) -> None:
    page = open_page(browser, frontend_url)
    try:
        heading(page, "Upload data")
        page.wait_for_url(re.compile(r"/upload(\?|$)"))
    finally:
        page.close()


def test_a_link_with_a_dataset_opens_it(
    browser: "sync_api.Browser", frontend_url: str, demo_dataset: DatasetRead
) -> None:
    page = open_page(
        browser, f"{frontend_url}/train?dataset={demo_dataset.id}&text=comment_text&label=toxic"
    )
    try:
        heading(page, "Train a model")
        sidebar = page.locator('[data-testid="stSidebar"]')
        sync_api.expect(sidebar).to_contain_text(demo_dataset.name)
        sync_api.expect(sidebar).to_contain_text("Backend:")
        page.wait_for_timeout(1000)
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / "train-from-link.png"), full_page=True)
        page.reload()
        heading(page, "Train a model")
        sync_api.expect(sidebar).to_contain_text(demo_dataset.name)  # a reload keeps it
    finally:
        page.close()


def test_a_page_that_stops_early_keeps_its_sidebar(
    browser: "sync_api.Browser", frontend_url: str
) -> None:
    page = open_page(browser, f"{frontend_url}/eda")
    try:
        heading(page, "Explore the data")
        sidebar = page.locator('[data-testid="stSidebar"]')
        sync_api.expect(sidebar).to_contain_text("No dataset selected yet.")
        sync_api.expect(sidebar).to_contain_text("Backend:")
    finally:
        page.close()
