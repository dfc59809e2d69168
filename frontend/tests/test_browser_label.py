"""In headless Chromium: the Label page's queue from the prediction log, one text with its
probabilities and a button per class, the S key skipping to the next and a class's own
key labelling it (Streamlit's widget shortcuts, pressed on the keyboard). The screenshot goes to
test-artifacts/screenshots/label.png for a person to look at."""

import time
import uuid
from collections.abc import Callable

import pytest

from shared.schemas import DatasetRead, ModelRead
from testkit.browser import launch, needs_chromium
from testkit.samples import NEGATIVE, POSITIVE
from testkit.servers import REPO_ROOT
from ui.api_client import ApiClient

SCREENSHOTS = REPO_ROOT / "test-artifacts" / "screenshots"
FitAndWait = Callable[[dict[str, object]], ModelRead]

pytestmark = [pytest.mark.browser, needs_chromium]
sync_api = pytest.importorskip("playwright.sync_api")


def test_the_queue_shows_one_text_and_s_skips_it(
    frontend_url: str, api: ApiClient, fit_and_wait: FitAndWait, demo_dataset: DatasetRead
) -> None:
    name = f"label-{uuid.uuid4().hex[:6]}"
    model = fit_and_wait({"name": name, "kind": "logreg", "dataset_id": demo_dataset.id})
    api.load_model(model.id)
    texts = [f"{a}, {b}" for a in POSITIVE[:3] for b in NEGATIVE[:3]]
    api.predict(model.id, texts)
    deadline = time.monotonic() + 20
    while len(api.hard_examples(model.id)) < len(texts):
        assert time.monotonic() < deadline
        time.sleep(0.2)
    hardest = api.hard_examples(model.id)
    try:
        with sync_api.sync_playwright() as playwright:
            browser = launch(playwright)
            page = browser.new_page(viewport={"width": 1280, "height": 1300})
            page.set_default_timeout(90_000)
            sync_api.expect.set_options(timeout=60_000)
            page.goto(f"{frontend_url}/label?model={model.id}")
            page.locator('[data-testid="stSidebar"]').wait_for()
            sync_api.expect(page.get_by_role("heading", name="Label")).to_be_visible()
            page.get_by_role("button", name="Load the queue").click()
            sync_api.expect(page.get_by_text(f"Example 1 of {len(hardest)}")).to_be_visible()
            sync_api.expect(page.get_by_text(hardest[0].text)).to_be_visible()
            sync_api.expect(page.get_by_text(f"0 of {len(hardest)} labelled")).to_be_visible()
            sync_api.expect(page.get_by_role("button", name="Skip")).to_be_visible()
            page.locator('[data-testid="stStatusWidget"]').wait_for(state="hidden")
            page.wait_for_timeout(1000)
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SCREENSHOTS / "label.png"), full_page=True)
            assert page.locator('[data-testid="stException"]').count() == 0
            page.get_by_role("heading", name="Label").click()  # focus off any field
            page.keyboard.press("s")
            sync_api.expect(page.get_by_text(f"Example 2 of {len(hardest)}")).to_be_visible()
            sync_api.expect(page.get_by_text("1 skipped")).to_be_visible()
            sync_api.expect(page.get_by_text(hardest[1].text)).to_be_visible()
            page.keyboard.press("1")  # a 0/1 model: the 1 key is the class 1, not the first
            sync_api.expect(page.get_by_text(f"1 of {len(hardest)} labelled")).to_be_visible()
            browser.close()
        (entry,), _ = api.list_feedback(model.id)
        assert (entry.text, entry.label) == (hardest[1].text, "1")
    finally:
        api.unload_model(model.id)
