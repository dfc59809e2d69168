"""Multi-label on the pages: the Train page fits on several label columns, the Predict page
shows each label's probability and the labels that apply, the Models page explores and
sets a threshold per label."""

import json
import time
from collections.abc import Callable

import pytest
from streamlit.testing.v1 import AppTest

from shared.schemas import DatasetRead, FitRequest, ModelRead, TaskRead, TaskStatus
from testkit.multilabel_samples import MULTILABEL_COLUMNS, multilabel_csv
from ui.api_client import ApiClient
from ui.pages.train import LAST_FIT
from ui.state import Selection

NAME = "page-tests-multilabel"


@pytest.fixture(scope="module")
def multilabel_dataset(api: ApiClient) -> DatasetRead:
    return api.upload_dataset("multilabel.csv", multilabel_csv(300), name="multilabel")


@pytest.fixture
def multilabel_model(
    api: ApiClient, multilabel_dataset: DatasetRead, finished: Callable[[str], TaskRead]
) -> ModelRead:
    request = FitRequest.model_validate(
        {
            "name": NAME,
            "kind": "logreg",
            "dataset_id": multilabel_dataset.id,
            "label_columns": MULTILABEL_COLUMNS,
            "params": {"min_df": 1},
        }
    )
    accepted = api.fit(request)
    task = finished(accepted.task_id)
    assert task.status == TaskStatus.SUCCEEDED, task.error
    return api.load_model(accepted.model_id)


def test_train_page_fits_on_several_label_columns(
    page: Callable[[str], AppTest], api: ApiClient, multilabel_dataset: DatasetRead
) -> None:
    at = page("train")
    at.session_state["selection"] = Selection(
        multilabel_dataset.id, multilabel_dataset.name, "comment_text", "insult"
    )
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    more = at.multiselect(key="train.more_labels")
    assert set(more.options) == {"threat", "obscene"}  # neither the text nor the label
    assert at.text_input(key="train.name").value == "multilabel-logreg"
    more.set_value(["threat", "obscene"]).run()
    # a name's versions are all of one shape: the suggestion says multi-label
    assert at.text_input(key="train.name").value == "multilabel-logreg-multilabel"
    at.text_input(key="train.name").input("train-page-multilabel").run()
    at.button(key="train.submit").click().run()
    assert not at.exception, [e.value for e in at.exception]
    model = api.get_model(at.session_state[LAST_FIT]["model_id"])
    assert model.label_columns == ["insult", "threat", "obscene"]


def test_predict_page_shows_each_labels_probability(
    page: Callable[[str], AppTest], multilabel_model: ModelRead
) -> None:
    at = page("predict").run()
    at.selectbox(key="predict.model").set_value(multilabel_model.id).run()
    at.text_area(key="predict.text").input("you moron, watch your back").run()
    at.button(key="predict.run").click().run()
    assert not at.exception, [e.value for e in at.exception]
    metrics = {m.label: m.value for m in at.metric}
    assert {"insult", "threat"} <= set(metrics["Labels that apply"].split(", "))
    bars = [bar.proto.text for bar in at.get("progress")]
    assert [b.split("`")[1] for b in bars] == MULTILABEL_COLUMNS
    said = next(c.value for c in at.caption if "own probability" in c.value)
    assert "confidence is the highest probability among the labels that apply" in said
    cuts = {t.label: t.threshold for t in multilabel_model.thresholds.thresholds}
    for bar, label in zip(bars, MULTILABEL_COLUMNS, strict=True):
        assert bar.endswith(f" · applies from {cuts[label]:.1%}"), bar
    # no label applies: the confidence is that even the likeliest does not
    at.text_area(key="predict.text").input("thanks for the lovely photo of the lake").run()
    at.button(key="predict.run").click().run()
    assert {m.label: m.value for m in at.metric}["Labels that apply"] == "none"
    said = next(c.value for c in at.caption if "own probability" in c.value)
    assert "the likeliest label does not apply (1 − its probability)" in said


def test_predict_page_explains_the_label_picked(
    page: Callable[[str], AppTest], multilabel_model: ModelRead
) -> None:
    """The answer's most probable label at first; another label on request, unlogged."""
    at = page("predict").run()
    at.selectbox(key="predict.model").set_value(multilabel_model.id).run()
    at.text_area(key="predict.text").input("you moron, watch your back").run()
    at.button(key="predict.run").click().run()
    picker = at.selectbox(key="predict.explain_label")
    assert picker.options == MULTILABEL_COLUMNS
    first = picker.value
    why = next(m.value for m in at.markdown if m.value.startswith("**Why"))
    assert f"`{first}`" in why
    other = next(label for label in MULTILABEL_COLUMNS if label != first)
    picker.set_value(other).run()
    assert not at.exception, [e.value for e in at.exception]
    why = next(m.value for m in at.markdown if m.value.startswith("**Why"))
    assert f"`{other}`" in why
    explained = at.session_state["predict.explained"][1]
    assert explained.explanation.label == other and explained.prediction_id is None


def test_compare_page_draws_each_labels_roc_curve(
    page: Callable[[str], AppTest],
    multilabel_dataset: DatasetRead,
    multilabel_model: ModelRead,
) -> None:
    at = page("compare")
    at.session_state["selection"] = Selection(
        multilabel_dataset.id, multilabel_dataset.name, "comment_text", "insult"
    )
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    at.multiselect(key="compare.models").set_value([multilabel_model.id]).run()
    at.button(key="compare.run").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("ROC curve of each label" in m.value for m in at.markdown)
    roc = at.get("plotly_chart")[-1].proto.spec
    assert all(f"label {name}" in roc for name in MULTILABEL_COLUMNS)


def test_models_page_names_every_label_column_and_speaks_of_labels(
    page: Callable[[str], AppTest], multilabel_model: ModelRead
) -> None:
    at = page("models").run()
    at.selectbox(key="models.picked").set_value(multilabel_model.id).run()
    assert not at.exception, [e.value for e in at.exception]
    named = ", ".join(f"`{c}`" for c in MULTILABEL_COLUMNS)
    assert any(f"labels {named}." in c.value for c in at.caption), [c.value for c in at.caption]
    text = " ".join(m.value for m in at.markdown)
    assert "**Per label** (each label on its own" in text and "each class" not in text
    assert "**ROC curve of each label**" in text and "One-vs-rest" not in text
    per_label = next(d.value for d in at.dataframe if "F1" in d.value.columns)
    assert list(per_label["label"]) == MULTILABEL_COLUMNS
    roc = next(c for c in at.get("plotly_chart") if c.proto.id.endswith("models.roc"))
    assert roc.proto.spec.count('"label ') == len(MULTILABEL_COLUMNS)
    # no confusion matrix: the curves are in the first column, none is left empty before them
    columns = list(at.columns)
    at_roc = next(i for i, c in enumerate(columns) if c.get("plotly_chart") == [roc])
    assert columns[at_roc - 1].children  # not an empty column before the curves


def test_threshold_explorer_is_per_label_and_saves_one_label(
    page: Callable[[str], AppTest], api: ApiClient, multilabel_model: ModelRead
) -> None:
    at = page("models").run()
    at.selectbox(key="models.picked").set_value(multilabel_model.id).run()
    assert not at.exception, [e.value for e in at.exception]
    at.button(key="models.threshold_run").click().run()
    assert not at.exception, [e.value for e in at.exception]
    picker = at.selectbox(key=f"models.threshold_label.{multilabel_model.id}")
    assert list(picker.options) == MULTILABEL_COLUMNS
    picker.set_value("threat").run()
    assert not at.exception, [e.value for e in at.exception]
    fitted = api.get_thresholds(multilabel_model.id).thresholds
    assert fitted is not None
    by_label = {str(t.label): t for t in fitted.thresholds}
    slider = at.slider(key=f"models.threshold.{multilabel_model.id}.threat")
    assert slider.value == pytest.approx(by_label["threat"].threshold)
    slider.set_value(0.0).run()
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Recall"] == "1.000"
    matrix = next(d.value for d in at.dataframe if "true \\ predicted" in d.value.columns)
    assert list(matrix.columns) == ["true \\ predicted", "not threat", "threat"]
    assert int(matrix.iloc[:, 1:].to_numpy().sum()) == multilabel_model.metrics.n_test
    assert int(matrix.iloc[0, 1]) == 0  # nothing predicted without threat at 0
    # the threat column's positives, as the fit's figures count them
    assert int(matrix.iloc[1, 2]) == by_label["threat"].tp + by_label["threat"].fn
    at.slider(key=f"models.threshold.{multilabel_model.id}.threat").set_value(0.7).run()
    at.button(key="models.threshold_save").click().run()
    assert not at.exception, [e.value for e in at.exception]
    new = next(
        m
        for m in api.list_models()
        if m.parent_id == multilabel_model.id and m.source == "thresholds"
    )
    try:
        assert at.selectbox(key="models.picked").value == new.id  # the new version shown
        assert any(f"v{new.version}**" in s.value for s in at.success)
        saved = api.get_thresholds(new.id).thresholds
        assert saved is not None and saved.source == "manual"
        now = {str(t.label): t.threshold for t in saved.thresholds}
        assert now["threat"] == pytest.approx(0.7)
        assert now["insult"] == by_label["insult"].threshold  # the other labels kept
        assert now["obscene"] == by_label["obscene"].threshold
        assert api.get_thresholds(multilabel_model.id).thresholds == fitted  # unchanged
    finally:  # the session's other tests use this name
        api.remove_model(new.id)


def test_monitor_names_the_answer_of_no_label(
    page: Callable[[str], AppTest], api: ApiClient, multilabel_model: ModelRead
) -> None:
    """The log keeps a multi-label answer of no label as "": the class mix names it."""
    texts = ["the train leaves at noon", "we had soup for lunch", "the meeting moved to four"]
    answers = api.predict(multilabel_model.id, texts).predictions
    assert any(not a.labels for a in answers), [a.labels for a in answers]
    deadline = time.monotonic() + 20
    while "" not in {
        k for b in api.model_statistics(multilabel_model.id).buckets for k in b.class_mix
    }:
        assert time.monotonic() < deadline, "the predictions were not logged"
        time.sleep(0.2)
    at = page("monitor").run()
    at.selectbox(key="monitor.model").set_value(multilabel_model.id).run()
    assert not at.exception, [e.value for e in at.exception]
    mix = next(
        json.loads(c.proto.spec)
        for c in at.get("plotly_chart")
        if json.loads(c.proto.spec)["layout"]["title"]["text"] == "Class mix"
    )
    names = {trace["name"] for trace in mix["data"]}
    assert "(no label applies)" in names and "" not in names, names


def test_only_columns_that_can_hold_0_or_1_are_offered_as_more_labels(
    page: Callable[[str], AppTest], api: ApiClient
) -> None:
    rows = "".join(f"{i:032x},text {i},{i % 2},{(i // 2) % 2},note {i}\n" for i in range(40))
    dataset = api.upload_dataset("with-ids.csv", f"id,text,toxic,insult,note\n{rows}".encode())
    at = page("train")
    at.session_state["selection"] = Selection(dataset.id, dataset.name, "text", "toxic")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    # the hex ids and the notes are text: a multi-label fit on them is a 422 after Train
    assert at.multiselect(key="train.more_labels").options == ["insult"]
    api.delete_dataset(dataset.id)
