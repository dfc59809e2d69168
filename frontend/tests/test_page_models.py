"""The Models page: the registry table, load/unload/remove, remove all, a model's detail."""

from collections.abc import Callable

import pytest
from streamlit.testing.v1 import AppTest

from shared.schemas import (
    DatasetRead,
    FitAccepted,
    FitRequest,
    ModelRead,
    ModelSummary,
    TaskRead,
    TaskStatus,
)
from ui.api_client import ApiClient
from ui.words import MISSING

FitAndWait = Callable[[dict[str, object]], ModelRead]


def picked(page: Callable[[str], AppTest], model: ModelRead) -> AppTest:
    at = page("models").run()
    assert not at.exception, [e.value for e in at.exception]
    at.selectbox(key="models.picked").set_value(model.id).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_the_table_lists_every_model(
    page: Callable[[str], AppTest], api: ApiClient, default_models: list[ModelSummary]
) -> None:
    at = page("models").run()
    assert not at.exception
    table = at.dataframe[0].value
    assert set(table["name"]) >= {"toxic-logreg", "toxic-naive-bayes"}
    assert list(table.columns[:6]) == ["name", "version", "kind", "status", "default", "loaded"]
    assert {"accuracy", "f1", "roc_auc", "params", "dataset", "created"} <= set(table.columns)
    tested = table.set_index("id")["test texts"]
    assert all(tested[m.id] == m.metrics.n_test for m in default_models if m.metrics)
    assert set(table[table["default"]]["dataset"]) == {"demo data"}


@pytest.mark.keras
def test_a_cancelled_model_has_a_dash_for_its_metrics_not_none(
    page: Callable[[str], AppTest], api: ApiClient, slow_fit: FitAccepted
) -> None:
    api.cancel_task(slow_fit.task_id)
    at = page("models").run()
    assert not at.exception, [e.value for e in at.exception]
    table = at.dataframe(key="models.table")
    row = table.value.set_index("id").loc[slow_fit.model_id]
    assert row["status"] == "cancelled"
    assert row[["accuracy", "f1", "roc_auc", "test texts"]].isna().all()
    assert table.proto.placeholder == MISSING == "—"


def test_detail_shows_metrics_confusion_matrix_and_roc(
    page: Callable[[str], AppTest], trained_model: ModelRead
) -> None:
    at = picked(page, trained_model)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Accuracy"] == f"{trained_model.metrics.accuracy:.3f}"
    assert metrics["ROC AUC"] == f"{trained_model.metrics.roc_auc:.3f}"
    charts = at.get("plotly_chart")
    assert len(charts) == 2  # confusion matrix and ROC curve
    assert any("Held-out test split" in c.value for c in at.caption)
    # a fitted binary model's threshold was chosen on its held-out split: cross-fitted
    assert trained_model.metrics.threshold_figures == "cross_fitted"
    assert any(
        c.value.startswith("The figures that depend on the threshold are cross-fitted")
        for c in at.caption
    )
    report = trained_model.preprocessing_report
    assert report is not None and report.rows_left == trained_model.metrics.n_train + (
        trained_model.metrics.n_test
    )
    rows = next(m.value for m in at.markdown if m.value.startswith("**Rows:**"))
    assert f"{report.rows_read:,} read" in rows and f"{report.rows_left:,} left" in rows
    # the settings in words, as the Train form names them, not a JSON tree
    params, steps = (
        d.value.set_index("setting")["value"]
        for d in at.dataframe
        if list(d.value.columns) == ["setting", "value"]
    )
    assert params["Fit strength (C)"] == f"{trained_model.params['C']:g}"
    low, high = trained_model.params["ngram_range"]
    assert params["Terms of n words (ngram_range)"] == f"{low}–{high}"
    assert steps["Lower-case (lowercase)"] == "yes"
    assert not at.json


def test_display_names_label_the_per_class_figures(
    page: Callable[[str], AppTest], fit_and_wait: FitAndWait, demo_dataset: DatasetRead
) -> None:
    model = fit_and_wait(
        {
            "name": "models-page-named",
            "kind": "naive_bayes",
            "dataset_id": demo_dataset.id,
            "label_names": {"0": "clean", "1": "toxic"},
        }
    )
    at = picked(page, model)
    per_class = next(d.value for d in at.dataframe if "support" in d.value.columns)
    assert per_class["class"].tolist() == ["clean (0)", "toxic (1)"]
    assert any(m.value == "**ROC curve** (positive class `toxic (1)`)" for m in at.markdown)
    assert any(
        m.value == "**Decision threshold** (positive class `toxic (1)`)" for m in at.markdown
    )
    at.button(key="models.errors_run").click().run()
    assert any("positive class `toxic (1)`)" in c.value for c in at.caption), [
        c.value for c in at.caption
    ]


def test_a_failed_model_says_why_once(
    page: Callable[[str], AppTest], api: ApiClient, finished: Callable[[str], TaskRead]
) -> None:
    # every word in one text only: none is in the 2 texts min_df asks for
    rows = "".join(f"word{i} other{i},{i % 2}\n" for i in range(40))
    dataset = api.upload_dataset("rare.csv", f"text,label\n{rows}".encode(), "rare words")
    body = {
        "name": "rare-words",
        "kind": "logreg",
        "dataset_id": dataset.id,
        "text_column": "text",
        "label_column": "label",
        "params": {"char_ngram_range": None},
    }
    accepted = api.fit(FitRequest.model_validate(body))
    assert finished(accepted.task_id).status == TaskStatus.FAILED
    at = picked(page, api.get_model(accepted.model_id))
    assert len(at.error) == 1 and not at.info, [e.value for e in at.error]
    message = at.error[0].value
    assert message.startswith("**Not trained.** Training failed: "), message
    assert message.lower().count("training failed") == 1


def test_load_unload_and_remove(
    page: Callable[[str], AppTest],
    api: ApiClient,
    fit_and_wait: FitAndWait,
    demo_dataset: DatasetRead,
) -> None:
    model = fit_and_wait(
        {"name": "models-page-nb", "kind": "naive_bayes", "dataset_id": demo_dataset.id}
    )
    at = picked(page, model)
    at.button(key="models.load").click().run()
    assert not at.exception
    assert "done" in at.success[0].value
    assert api.get_model(model.id).loaded
    assert at.dataframe[0].value.set_index("id").loc[model.id, "loaded"]

    at.button(key="models.unload").click().run()
    assert not api.get_model(model.id).loaded

    at.button(key="models.remove").click().run()
    assert "for good" in at.warning[0].value
    assert model.id in {m.id for m in api.list_models()}  # it asks first
    at.button(key="models.remove_no").click().run()
    assert not at.warning and model.id in {m.id for m in api.list_models()}
    at.button(key="models.remove").click().run()
    at.button(key="models.remove_yes").click().run()
    assert not at.exception
    assert model.id not in {m.id for m in api.list_models()}


def test_a_default_model_cannot_be_removed(
    page: Callable[[str], AppTest], default_models: list[ModelSummary]
) -> None:
    at = picked(page, default_models[0])
    assert at.button(key="models.remove").disabled


def test_remove_all_asks_first_and_keeps_defaults(
    page: Callable[[str], AppTest],
    api: ApiClient,
    fit_and_wait: FitAndWait,
    demo_dataset: DatasetRead,
    trained_model: ModelRead,
) -> None:
    extra = fit_and_wait(
        {"name": "models-page-extra", "kind": "logreg", "dataset_id": demo_dataset.id}
    )
    at = page("models").run()
    at.button(key="models.remove_all").click().run()
    assert "for good" in at.warning[0].value
    assert extra.id in {m.id for m in api.list_models()}  # nothing yet
    at.button(key="models.remove_all_no").click().run()
    assert not at.warning

    at.button(key="models.remove_all").click().run()
    at.button(key="models.remove_all_yes").click().run()
    assert not at.exception
    left = api.list_models()
    assert all(m.is_default for m in left), [m.name for m in left]
    assert "Removed" in at.success[0].value
    assert trained_model.id not in {m.id for m in left}


@pytest.mark.keras
def test_a_keras_model_shows_its_learning_curves(
    page: Callable[[str], AppTest],
    fit_and_wait: FitAndWait,
    demo_dataset: DatasetRead,
    api: ApiClient,
) -> None:
    model = fit_and_wait(
        {
            "name": "models-page-cnn",
            "kind": "keras_cnn",
            "params": {"epochs": 2, "max_tokens": 2000, "sequence_length": 64, "filters": 16},
            "dataset_id": demo_dataset.id,
        }
    )
    assert model.history
    at = picked(page, model)
    assert at.markdown and any("Learning curves" in m.value for m in at.markdown)
    assert len(at.get("plotly_chart")) == 3
    api.remove_model(model.id)


def test_per_class_metrics_and_misclassified_held_out_texts(
    page: Callable[[str], AppTest], trained_model: ModelRead
) -> None:
    at = picked(page, trained_model)
    per_class = at.dataframe[1].value
    assert list(per_class["class"]) == ["0", "1"]
    assert per_class["support"].sum() == trained_model.metrics.n_test
    at.button(key="models.errors_run").click().run()
    assert not at.exception, [e.value for e in at.exception]
    caption = next(c.value for c in at.caption if "misclassified" in c.value)
    # at the threshold in force, on the rows it was chosen on: the threshold's own counts
    # (the metrics' confusion matrix is cross-fitted)
    assert trained_model.thresholds is not None
    (cut,) = trained_model.thresholds.thresholds
    assert cut.fp is not None and cut.fn is not None
    wrong = cut.fp + cut.fn
    assert f"{wrong:,} of {trained_model.metrics.n_test:,} held-out texts" in caption
    if wrong:
        errors = at.dataframe[2].value
        assert set(errors["kind"]) <= {"false positive", "false negative"}
        assert (errors["true"] != errors["predicted"]).all()


def test_clicking_a_row_picks_that_model(
    page: Callable[[str], AppTest], trained_model: ModelRead
) -> None:
    at = page("models").run()
    ids = list(at.dataframe[0].value["id"])
    row = ids.index(trained_model.id)
    at.session_state["models.table"] = {"selection": {"rows": [row], "columns": []}}
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.selectbox(key="models.picked").value == trained_model.id
