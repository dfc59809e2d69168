"""End to end in headless Chromium: a data scientist's whole path through the app.

Backend and frontend run for real on loopback; Playwright drives Debian's chromium
(never a browser Playwright downloads). Screenshots of each page go to
test-artifacts/screenshots/ for a person to look at.
"""

import csv
import io
from collections.abc import Iterator
from pathlib import Path

import pytest

from testkit.browser import (
    PLOTS_DRAWN,
    choose,
    explained,
    go,
    idle,
    launch,
    needs_chromium,
    open_app,
)
from testkit.data import DEMO_CSV
from testkit.servers import REPO_ROOT

SCREENSHOTS = REPO_ROOT / "test-artifacts" / "screenshots"
MODEL_NAME = "e2e-logreg"
STEP_TIMEOUT_MS = 90_000

pytestmark = [
    pytest.mark.browser,
    needs_chromium,
]
sync_api = pytest.importorskip("playwright.sync_api")


@pytest.fixture(scope="module")
def browser_page(frontend_url: str) -> Iterator["sync_api.Page"]:
    with sync_api.sync_playwright() as playwright:
        browser = launch(playwright)
        context = browser.new_context(
            viewport={"width": 1440, "height": 2000}, accept_downloads=True
        )
        page = context.new_page()
        page.set_default_timeout(STEP_TIMEOUT_MS)
        yield page
        context.close()
        browser.close()


def shot(page: "sync_api.Page", name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    idle(page)
    page.wait_for_timeout(1500)  # charts load lazily: let the last ones draw
    page.wait_for_function(PLOTS_DRAWN)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def no_exception(page: "sync_api.Page") -> None:
    assert page.locator('[data-testid="stException"]').count() == 0


def test_a_data_scientist_goes_from_upload_to_roc(
    browser_page: "sync_api.Page", frontend_url: str, tmp_path: Path
) -> None:
    with explained(browser_page, SCREENSHOTS, "e2e"):
        walk_through(browser_page, frontend_url, tmp_path)


def walk_through(page: "sync_api.Page", frontend_url: str, tmp_path: Path) -> None:
    expect = sync_api.expect
    expect.set_options(timeout=STEP_TIMEOUT_MS)
    open_app(page, frontend_url)

    # 1. upload the demo CSV: it becomes the selected dataset
    page.locator('[data-testid="stFileUploader"] input[type="file"]').set_input_files(DEMO_CSV)
    page.get_by_role("button", name="Upload", exact=True).click()
    expect(page.get_by_text("Already on the server as")).to_be_visible()  # the demo data
    expect(page.get_by_text("Class balance")).to_be_visible()
    no_exception(page)
    shot(page, "1-upload")

    # 2. EDA: its charts, then the t-SNE map on request
    go(page, "Explore (EDA)", heading="Explore the data")
    expect(page.locator(".js-plotly-plot").nth(1)).to_be_visible()
    expect(page.get_by_text("1,809 labelled texts in 2 classes")).to_be_visible()
    no_exception(page)
    shot(page, "2-eda")
    page.get_by_role("tab", name="Tokens & n-grams").click()
    page.get_by_text("bigrams", exact=True).click()
    expect(page.get_by_text("n-grams with a stop word left out")).to_be_visible()
    idle(page)
    shot(page, "2a-eda-ngrams")
    page.get_by_role("tab", name="Parts of speech").click()
    expect(page.get_by_text("Brill (Pattern) tagger")).to_be_visible()
    shot(page, "2b-eda-pos")
    page.get_by_role("tab", name="Word clouds").click()
    expect(page.locator('[data-testid="stImage"] img').first).to_be_visible()
    shot(page, "2c-eda-word-clouds")
    page.get_by_role("tab", name="t-SNE").click()
    page.get_by_role("button", name="Compute the t-SNE map").click()
    expect(page.locator('[data-testid="stTabs"] .js-plotly-plot').last).to_be_visible()
    idle(page)
    shot(page, "2d-eda-tsne")

    # 3. train a logistic regression
    go(page, "Train", heading="Train a model")
    name = page.get_by_label("Name", exact=True)
    name.fill(MODEL_NAME)
    name.press("Enter")
    idle(page)
    page.get_by_role("button", name="Train", exact=True).click()
    expect(page.get_by_text("Training started")).to_be_visible()
    no_exception(page)
    shot(page, "3-train")

    # 4. the task reaches success on the tasks page, which refreshes by itself
    page.get_by_role("link", name="Follow it on the Tasks page").click()
    card = (
        page.locator('[class*="st-key-task-"]')  # one per task (the card's key)
        .filter(has=page.get_by_text(MODEL_NAME))
        .filter(has=page.get_by_text("succeeded", exact=True))
    )
    expect(card).to_be_visible(timeout=120_000)
    expect(card.get_by_role("progressbar")).to_be_visible()
    no_exception(page)
    shot(page, "4-tasks")

    # 5. load it
    go(page, "Models")
    choose(page, "Model", f"{MODEL_NAME} v1")
    page.get_by_role("button", name="Load", exact=True).click()
    expect(page.get_by_text("done.")).to_be_visible()
    no_exception(page)
    shot(page, "5-models")

    # 6. predict a multi-line text
    go(page, "Predict")
    choose(page, "Loaded model", f"{MODEL_NAME} v1")
    page.get_by_role("textbox", name="Text to classify").fill(
        "You are a complete idiot.\nNobody likes you."
    )
    page.get_by_role("button", name="Predict", exact=True).click()
    expect(page.get_by_text("Confidence", exact=True)).to_be_visible()  # the metric's label
    expect(page.get_by_text("the model's decision threshold")).to_be_visible()
    no_exception(page)
    shot(page, "6-predict-text")

    # 7. predict a CSV and download the result
    page.get_by_role("tab", name="CSV file").click()
    sample = tmp_path / "comments.csv"
    sample.write_text('id,comment_text\n1,"thanks, that helped"\n2,"you stupid moron"\n')
    page.locator('[data-testid="stFileUploader"] input[type="file"]').set_input_files(sample)
    page.get_by_role("button", name="Predict the file").click()
    download_button = page.get_by_role("button", name="Download the predictions (CSV)")
    expect(download_button).to_be_visible()
    with page.expect_download() as download:
        download_button.click()
    saved = tmp_path / "predictions.csv"
    download.value.save_as(saved)
    rows = list(csv.DictReader(io.StringIO(saved.read_text())))
    assert [r["id"] for r in rows] == ["1", "2"]
    assert all(r["Result"] in {"0", "1"} and 0 <= float(r["Confidence"]) <= 1 for r in rows)
    shot(page, "7-predict-csv")

    # 8. compare the two default models by ROC on the uploaded data
    go(page, "Compare (ROC)", heading="Compare models by ROC")
    page.get_by_role("button", name="Compare", exact=True).click()
    roc = page.locator(".js-plotly-plot").first
    expect(roc).to_contain_text("AUC")
    expect(page.locator(".js-plotly-plot").nth(1)).to_contain_text("AP")
    no_exception(page)
    shot(page, "8-compare")
