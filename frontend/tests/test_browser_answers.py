"""In headless Chromium: the Predict page's highlighted explanation and the Models page's
threshold explorer, with screenshots in test-artifacts/screenshots/ to look at."""

import re
from collections.abc import Iterator

import pytest

from shared.schemas import ModelSummary
from testkit.browser import launch, needs_chromium
from testkit.servers import REPO_ROOT

SCREENSHOTS = REPO_ROOT / "test-artifacts" / "screenshots"

pytestmark = [pytest.mark.browser, needs_chromium]
sync_api = pytest.importorskip("playwright.sync_api")


@pytest.fixture(scope="module")
def browser_page(frontend_url: str) -> Iterator["sync_api.Page"]:
    with sync_api.sync_playwright() as playwright:
        browser = launch(playwright)
        context = browser.new_context(viewport={"width": 1300, "height": 1600})
        page = context.new_page()
        page.set_default_timeout(90_000)
        yield page
        context.close()
        browser.close()


def settle(page: "sync_api.Page", name: str) -> None:
    page.wait_for_timeout(500)
    page.locator('[data-testid="stStatusWidget"]').wait_for(state="hidden")
    page.wait_for_timeout(1000)
    assert page.locator('[data-testid="stException"]').count() == 0
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"answers-{name}.png"), full_page=True)


def test_explanation_and_threshold_explorer_in_chromium(
    browser_page: "sync_api.Page", frontend_url: str, default_models: list[ModelSummary]
) -> None:
    page = browser_page
    model = next(m for m in default_models if m.kind == "logreg")
    page.goto(f"{frontend_url}/predict?model={model.id}")
    page.get_by_role("textbox", name="Text to classify").fill(
        "Thanks for the edit, but you are a complete IDIOT <b>and</b> a moron!"
    )
    page.get_by_role("button", name="Predict", exact=True).click()
    highlighted = page.locator(".explained-text")
    highlighted.wait_for()
    assert "<b>and</b>" in highlighted.inner_text()  # shown as text, not as markup
    assert highlighted.locator("span").count() > 0
    settle(page, "predict")
    # a long text scrolls inside its box instead of making the page thousands of pixels tall
    page.get_by_role("textbox", name="Text to classify").fill("you are an idiot, thanks " * 800)
    page.get_by_role("button", name="Predict", exact=True).click()
    explained = page.locator(".explained-text")
    sync_api.expect(explained).to_contain_text("thanks you are an idiot, thanks you are")
    box = explained.evaluate(
        "el => [el.clientHeight, el.scrollHeight, getComputedStyle(el).overflowY]"
    )
    assert box[0] < 450 and box[1] > 5 * box[0] and box[2] == "auto", box

    page.goto(f"{frontend_url}/models?model={model.id}")
    page.get_by_role("button", name="Explore thresholds").click()
    page.get_by_role("button", name=re.compile(r"^Save as v\d+$")).wait_for()
    settle(page, "thresholds")
