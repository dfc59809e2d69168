"""In headless Chromium: the Tasks page, opened while no task runs, shows a fit started
elsewhere (another tab, the API) without a reload: it polls slowly while idle."""

import uuid

import pytest

from shared.schemas import DatasetRead, FitRequest
from testkit.browser import needs_chromium
from ui.api_client import ApiClient

pytestmark = [pytest.mark.browser, needs_chromium]
sync_api = pytest.importorskip("playwright.sync_api")


def test_a_fit_started_elsewhere_shows_up(
    browser: "sync_api.Browser", frontend_url: str, api: ApiClient, demo_dataset: DatasetRead
) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 1000})
    page.set_default_timeout(90_000)
    try:
        page.goto(f"{frontend_url}/tasks")
        sync_api.expect(page.get_by_role("heading", name="Tasks")).to_be_visible()
        name = f"tasks-elsewhere-{uuid.uuid4().hex[:6]}"
        body = {"name": name, "kind": "naive_bayes", "dataset_id": demo_dataset.id}
        accepted = api.fit(FitRequest.model_validate(body))
        # the idle poll (every 10 s) finds it: no reload, no click
        card = page.get_by_text(f"task {accepted.task_id[:8]}")
        sync_api.expect(card).to_be_visible(timeout=30_000)
        sync_api.expect(page.get_by_text(name).first).to_be_visible()
    finally:
        page.close()
