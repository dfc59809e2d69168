"""In headless Chromium: a model is fitted, retrained, and given another decision threshold
on the Models page (which saves it as the next version); the page then shows that version,
the name's timeline says how each version was made and from which, and the lineage names
the parent. Screenshots go to test-artifacts/screenshots/models_lineage*.png for a person
to look at."""

import re
import uuid
from collections.abc import Callable

import pytest

from shared.schemas import DatasetRead, ModelRead, RetrainRequest, TaskRead, TaskStatus
from testkit.browser import launch, needs_chromium
from testkit.servers import REPO_ROOT
from ui.api_client import ApiClient

SCREENSHOTS = REPO_ROOT / "test-artifacts" / "screenshots"
FitAndWait = Callable[[dict[str, object]], ModelRead]
Finished = Callable[[str], TaskRead]

pytestmark = [pytest.mark.browser, needs_chromium]
sync_api = pytest.importorskip("playwright.sync_api")


def test_models_page_shows_a_threshold_version_in_the_lineage_and_timeline(
    frontend_url: str,
    api: ApiClient,
    fit_and_wait: FitAndWait,
    finished: Finished,
    demo_dataset: DatasetRead,
) -> None:
    name = f"lineage-{uuid.uuid4().hex[:6]}"
    first = fit_and_wait({"name": name, "kind": "logreg", "dataset_id": demo_dataset.id})
    accepted = api.retrain_model(first.id, RetrainRequest.model_validate({"data": "parent"}))
    assert finished(accepted.task_id).status == TaskStatus.SUCCEEDED
    second = api.get_model(accepted.model_id)
    assert second.version == 2 and second.thresholds is not None
    with sync_api.sync_playwright() as playwright:
        browser = launch(playwright)
        page = browser.new_page(viewport={"width": 1280, "height": 1400})
        page.set_default_timeout(90_000)
        page.goto(f"{frontend_url}/models?model={second.id}")
        page.get_by_role("button", name="Explore thresholds").click()
        slider = page.get_by_role("slider")
        slider.wait_for()
        shown = page.get_by_test_id("stSliderThumbValue")
        before = float(shown.inner_text())
        slider.focus()
        for _ in range(20):  # 20 steps of 0.005 up (down when near the top)
            slider.press("ArrowRight" if before < 0.85 else "ArrowLeft")
        page.wait_for_timeout(1000)
        after = float(shown.inner_text())
        # the steps snap to multiples of 0.005
        assert after == pytest.approx(before + (0.1 if before < 0.85 else -0.1), abs=0.006)
        page.get_by_role("button", name="Save as v3").click()
        saved = page.get_by_text(f"saved as {name} v3")
        sync_api.expect(saved).to_be_visible(timeout=90_000)
        page.locator('[data-testid="stStatusWidget"]').wait_for(state="hidden")
        page.wait_for_timeout(1000)
        assert page.locator('[data-testid="stException"]').count() == 0

        third = next(m for m in api.list_models() if m.name == name and m.version == 3)
        assert third.source == "thresholds" and third.parent_id == second.id
        assert api.get_model(third.id).thresholds.thresholds[0].threshold == pytest.approx(after)
        assert api.get_model(second.id).thresholds == second.thresholds  # v2 unchanged

        # the subheader of the detail is the new version's: the page shows it
        sync_api.expect(page.get_by_role("heading", name=f"{name} v3")).to_be_visible()
        heading = page.get_by_role("heading", name=f"Versions of {name}")
        heading.scroll_into_view_if_needed()
        timeline = page.locator('[data-testid="stMarkdownContainer"]').filter(
            has_text=re.compile(r"^v\d+ · ")
        )
        lines = [t.strip() for t in timeline.all_inner_texts()]
        assert len(lines) == 3, lines
        assert lines[0].startswith("v3 ·") and "thresholds of v2" in lines[0]
        assert lines[1].startswith("v2 ·") and "retrain of v1" in lines[1]
        assert lines[2].startswith("v1 ·") and " · fit" in lines[2]
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / "models_lineage_timeline.png"))

        lineage = page.get_by_text("Source: thresholds")
        lineage.scroll_into_view_if_needed()
        text = lineage.inner_text()
        assert "its parent with other decision thresholds, not retrained" in text
        assert f"Parent: {name} v2" in text and second.id in text
        page.wait_for_timeout(500)
        page.screenshot(path=str(SCREENSHOTS / "models_lineage.png"))

        # the Download tab stays open when its button reruns the page, showing the file
        page.get_by_role("tab", name="Download").click()
        page.get_by_role("button", name="Prepare the file").click()
        download = page.get_by_role("button", name="Download the bundle")
        sync_api.expect(download).to_be_visible(timeout=30_000)
        assert page.get_by_role("tab", name="Download").get_attribute("aria-selected") == "true"
        browser.close()
