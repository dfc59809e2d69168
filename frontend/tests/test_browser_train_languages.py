"""The Train page's language options in a real Chromium: tokenizer, stemming and the
new_words text area render with their words, and accept a choice; a screenshot goes to
test-artifacts/screenshots/train_languages.png for a person to look at."""

from collections.abc import Iterator

import httpx
import pytest

from testkit.api import upload_csv
from testkit.browser import needs_chromium
from testkit.servers import REPO_ROOT, BackendServer, serving, serving_frontend

SCREENSHOTS = REPO_ROOT / "test-artifacts" / "screenshots"

pytestmark = [pytest.mark.browser, needs_chromium]
sync_api = pytest.importorskip("playwright.sync_api")


@pytest.fixture(scope="module")
def light_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """A backend without the default models (quick to start) holding the Chinese demo file,
    and the frontend pointed at it: (frontend URL, dataset id)."""
    root = tmp_path_factory.mktemp("languages")
    server = BackendServer(root=root / "backend", env={"DEFAULT_MODELS": "false"})
    with serving(server), httpx.Client(base_url=server.base_url, timeout=60) as client:
        response = upload_csv(client, REPO_ROOT / "demo_data" / "zh_reviews_demo.csv", "zh.csv")
        assert response.status_code in (200, 201), response.text
        with serving_frontend(server.base_url, root / "frontend") as url:
            yield url, response.json()["id"]


def test_train_page_language_options(
    browser: "sync_api.Browser", light_stack: tuple[str, str]
) -> None:
    frontend_url, dataset_id = light_stack
    page = browser.new_page(viewport={"width": 1280, "height": 1000})
    page.set_default_timeout(90_000)
    try:
        page.goto(f"{frontend_url}/train?dataset={dataset_id}&text=text&label=label")
        sync_api.expect(page.get_by_role("heading", name="Train a model")).to_be_visible(
            timeout=90_000
        )
        tokenizer = page.get_by_text("Split words with", exact=False).first
        tokenizer.scroll_into_view_if_needed()
        sync_api.expect(page.get_by_text("detects the language", exact=False)).to_be_visible(
            timeout=90_000
        )
        words = page.get_by_role("textbox", name="Words to keep whole")
        words.fill("散热模组\n性价比")
        sync_api.expect(page.get_by_text("Reduce words to stems", exact=False)).to_be_visible(
            timeout=90_000
        )
        page.get_by_text("Preprocessing", exact=True).scroll_into_view_if_needed()
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / "train_languages.png"))
        assert words.input_value() == "散热模组\n性价比"
    finally:
        page.close()
