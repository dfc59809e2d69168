"""In headless Chromium: the Models page shows a name's versions as a timeline with its
aliases as badges, and the set and roll-back controls. The screenshot goes to
test-artifacts/screenshots/models_aliases.png for a person to look at."""

import uuid
from collections.abc import Callable

import pytest

from shared.schemas import DatasetRead, ModelRead
from testkit.browser import launch, needs_chromium
from testkit.servers import REPO_ROOT
from ui.api_client import ApiClient

SCREENSHOTS = REPO_ROOT / "test-artifacts" / "screenshots"
FitAndWait = Callable[[dict[str, object]], ModelRead]

pytestmark = [pytest.mark.browser, needs_chromium]
sync_api = pytest.importorskip("playwright.sync_api")


def test_models_page_shows_versions_with_alias_badges(
    frontend_url: str, api: ApiClient, fit_and_wait: FitAndWait, demo_dataset: DatasetRead
) -> None:
    name = f"shown-{uuid.uuid4().hex[:6]}"
    body = {"name": name, "kind": "naive_bayes", "dataset_id": demo_dataset.id}
    first, second, third = (fit_and_wait({**body, "random_state": i}) for i in range(3))
    api.set_alias(name, "production", 1, "first release")
    api.set_alias(name, "production", 2, "better recall")
    api.set_alias(name, "staging", 3, "trying it")
    api.rollback_alias(name, "production", "v2 misfires")
    try:
        with sync_api.sync_playwright() as playwright:
            browser = launch(playwright)
            page = browser.new_page(viewport={"width": 1280, "height": 1800})
            page.set_default_timeout(90_000)
            page.goto(f"{frontend_url}/models?model={third.id}")
            page.locator('[data-testid="stSidebar"]').wait_for()
            heading = page.get_by_role("heading", name=f"Versions of {name}")
            sync_api.expect(heading).to_be_visible(timeout=90_000)
            page.locator('[data-testid="stStatusWidget"]').wait_for(state="hidden")
            heading.scroll_into_view_if_needed()
            page.wait_for_timeout(1000)
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SCREENSHOTS / "models_aliases.png"), full_page=True)
            assert page.locator('[data-testid="stException"]').count() == 0
            for alias in ("production", "staging"):
                # the timeline's badge (the models table's aliases column has it too, in
                # a canvas grid's hidden cells)
                timeline = page.locator('[data-testid="stMarkdownContainer"]')
                badge = timeline.get_by_text(alias, exact=True).first
                sync_api.expect(badge).to_be_visible(timeout=30_000)
            sync_api.expect(page.get_by_role("button", name="Set alias")).to_be_visible()
            sync_api.expect(page.get_by_role("button", name="Roll back")).to_be_visible()
            browser.close()
    finally:
        for alias in ("production", "staging"):
            api.delete_alias(name, alias, "test done")
    assert api.get_model(first.id).aliases == []
    assert second.id != third.id
