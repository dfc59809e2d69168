"""The Train page's language options in a real Chromium: tokenizer, stemming and the
new_words text area render with their words, and accept a choice; a screenshot goes to
test-artifacts/screenshots/train_languages.png for a person to look at."""

from collections.abc import Iterator

import pytest

from shared.schemas import DatasetRead
from testkit.browser import launch, needs_chromium
from testkit.servers import REPO_ROOT

SCREENSHOTS = REPO_ROOT / "test-artifacts" / "screenshots"

pytestmark = [pytest.mark.browser, needs_chromium]
sync_api = pytest.importorskip("playwright.sync_api")


@pytest.fixture(scope="module")
def browser() -> Iterator["sync_api.Browser"]:
    with sync_api.sync_playwright() as playwright:
        chromium = launch(playwright)
        yield chromium
        chromium.close()


def test_train_page_language_options(
    browser: "sync_api.Browser", frontend_url: str, demo_dataset: DatasetRead
) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 1000})
    page.set_default_timeout(90_000)
    try:
        page.goto(
            f"{frontend_url}/train?dataset={demo_dataset.id}&text=comment_text&label=toxic"
        )
        sync_api.expect(page.get_by_role("heading", name="Train a model")).to_be_visible()
        tokenizer = page.get_by_text("Split words with", exact=False).first
        tokenizer.scroll_into_view_if_needed()
        sync_api.expect(page.get_by_text("detects the language", exact=False)).to_be_visible()
        words = page.get_by_label("Words to keep whole", exact=False)
        words.fill("散热模组\n性价比")
        sync_api.expect(page.get_by_text("Reduce words to stems", exact=False)).to_be_visible()
        page.get_by_text("Preprocessing", exact=True).scroll_into_view_if_needed()
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / "train_languages.png"))
        assert words.input_value() == "散热模组\n性价比"
    finally:
        page.close()
