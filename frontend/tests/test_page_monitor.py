"""The Monitor page against the session's real backend: a model's predictions served in
two segments (one of words the model never saw), one with feedback, then the page's
charts (volume, mix, confidence, latency, accuracy, drift) and its drift banner; and in
headless Chromium at its own URL, screenshotted."""

import json
import time
import uuid
from collections.abc import Callable

import httpx
import pytest
from streamlit.testing.v1 import AppTest

from app.core.db import make_engine
from app.registry.feedback import FeedbackEntry, SqlFeedback
from shared.schemas import DatasetRead, FitRequest, ModelRead
from testkit.browser import needs_chromium
from testkit.servers import REPO_ROOT, BackendServer
from ui.api_client import ApiClient

SCREENSHOTS = REPO_ROOT / "test-artifacts" / "screenshots"
UNKNOWN = "zzqx blorf fnord glorp vrmm qwv plink"
ODD = f"odd-{uuid.uuid4().hex[:4]}"


@pytest.fixture(scope="module")
def monitored(backend: BackendServer, api: ApiClient, demo_dataset: DatasetRead) -> ModelRead:
    """A model of its own, fitted on the demo data; its predictions in a usual segment and
    an odd one, logged; feedback on the usual ones."""
    fit = {
        "name": f"page-tests-monitor-{uuid.uuid4().hex[:6]}",
        "kind": "logreg",
        "label_names": {"0": "clean", "1": "toxic"},
    }
    accepted = api.fit(FitRequest.model_validate({**fit, "dataset_id": demo_dataset.id}))
    deadline = time.monotonic() + 180
    while not api.get_task(accepted.task_id).status.is_finished:
        assert time.monotonic() < deadline, "the fit did not finish"
        time.sleep(0.3)
    trained_model = api.load_model(accepted.model_id)
    ids = []
    with httpx.Client(base_url=backend.base_url, timeout=60) as client:
        for segment, texts in (
            ("usual", ["you are a stupid idiot", "thanks, nice photo", "what a loser"] * 4),
            (ODD, [UNKNOWN] * 30),  # DRIFT_MIN_PREDICTIONS: a flag needs 30
        ):
            body = {"model_id": trained_model.id, "texts": texts, "segment": segment}
            response = client.post("/api/v1/models/predict", json=body)
            assert response.status_code == 200, response.text
            answers = response.json()["predictions"]
            ids.append([(p["prediction_id"], str(p["label"])) for p in answers])
    deadline = time.monotonic() + 30
    while sum(b.count for b in api.model_statistics(trained_model.id).buckets) < 42:
        assert time.monotonic() < deadline, "the predictions were not logged"
        time.sleep(0.2)
    engine = make_engine(f"sqlite:///{backend.root / 'registry.db'}")
    try:  # true labels for the usual segment: the opposite of every third answer
        SqlFeedback(engine).insert(
            [
                FeedbackEntry(
                    id=uuid.uuid4().hex,
                    model_name=trained_model.name,
                    model_id=trained_model.id,
                    prediction_id=prediction_id,
                    text=None,
                    label=label if i % 3 else ("0" if label == "1" else "1"),
                    segment="usual",
                    source="prediction",
                    created_at=trained_model.created_at,
                )
                for i, (prediction_id, label) in enumerate(ids[0])
            ]
        )
    finally:
        engine.dispose()
    return trained_model


def test_the_page_charts_the_log_and_flags_drift(
    page: Callable[[str], AppTest], api: ApiClient, monitored: ModelRead
) -> None:
    # every third of the usual segment's 12 answers corrected: accuracy 8/12
    (bucket,) = api.model_statistics(monitored.id, segment="usual").buckets
    assert (bucket.feedback_count, bucket.accuracy) == (12, pytest.approx(8 / 12)), bucket
    at = page("monitor").run()
    assert not at.exception, [e.value for e in at.exception]
    at.selectbox(key="monitor.model").set_value(monitored.id).run()
    assert not at.exception, [e.value for e in at.exception]
    errors = [e.value for e in at.error]
    assert any("Drift detected" in e and f"of segment `{ODD}` in " in e for e in errors), errors
    charts = at.get("plotly_chart")
    # volume, class mix, confidence, latency, accuracy, then three drift charts
    assert len(charts) == 8, len(charts)
    for chart in charts[-3:]:  # drift on a scale from 0, not stretched between two values
        assert json.loads(chart.proto.spec)["layout"]["yaxis"]["rangemode"] == "tozero"
    latency = next(
        json.loads(c.proto.spec)
        for c in charts
        if json.loads(c.proto.spec)["layout"]["title"]["text"] == "Latency (ms)"
    )
    assert latency["layout"]["yaxis"]["rangemode"] == "tozero"  # never -0.5 ms
    mix = next(
        json.loads(c.proto.spec)
        for c in charts
        if json.loads(c.proto.spec)["layout"]["title"]["text"] == "Class mix"
    )  # by the display names the fit gave the labels
    assert {trace["name"] for trace in mix["data"]} <= {"clean (0)", "toxic (1)"}
    assert "toxic (1)" in {trace["name"] for trace in mix["data"]}
    captions = [c.value for c in at.caption]
    assert any("From 12 feedback labels" in c for c in captions), captions
    # one segment: only its figures
    at.selectbox(key="monitor.segment").set_value("usual").run()
    assert not at.exception, [e.value for e in at.exception]
    assert not any(ODD in e.value for e in at.error)
    assert any("From 12 feedback labels" in c.value for c in at.caption)


sync_api = pytest.importorskip("playwright.sync_api")


@pytest.mark.browser
@needs_chromium
def test_the_page_in_a_browser(
    browser: "sync_api.Browser", frontend_url: str, monitored: ModelRead
) -> None:
    page = browser.new_page(viewport={"width": 1400, "height": 2200})
    page.set_default_timeout(90_000)
    try:
        page.goto(f"{frontend_url}/monitor?model={monitored.id}")
        heading = page.get_by_role("heading", name="Monitor")
        sync_api.expect(heading).to_be_visible(timeout=90_000)
        sync_api.expect(page.get_by_text("Drift detected")).to_be_visible(timeout=90_000)
        page.locator(".js-plotly-plot").nth(7).wait_for()
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / "monitor.png"), full_page=True)
    finally:
        page.close()


def test_every_version_of_a_name_keeps_its_segments_and_says_whose_drift(
    page: Callable[[str], AppTest],
    api: ApiClient,
    monitored: ModelRead,
    demo_dataset: DatasetRead,
) -> None:
    """A newer version without predictions (a retrain not yet in use): the name's
    segments still come from every version's log; drift is the newest version's, and the
    page says so rather than leaving the section out without a word."""
    fit = {"name": monitored.name, "kind": "logreg", "dataset_id": demo_dataset.id}
    accepted = api.fit(FitRequest.model_validate(fit))
    deadline = time.monotonic() + 180
    while not api.get_task(accepted.task_id).status.is_finished:
        assert time.monotonic() < deadline, "the fit did not finish"
        time.sleep(0.3)
    at = page("monitor").run()
    at.selectbox(key="monitor.model").set_value(monitored.id).run()
    at.toggle(key="monitor.whole_name").set_value(True).run()
    assert not at.exception, [e.value for e in at.exception]
    assert set(at.selectbox(key="monitor.segment").options) >= {"usual", ODD}
    captions = [c.value for c in at.caption]
    assert (
        f"Drift is measured per version: here v2's, the newest of {monitored.name} (it has "
        "no predictions in this range)." in captions
    ), captions
