"""The Models page: the registry table, load/unload/remove, remove all, a model's detail."""

from collections.abc import Callable

import pytest
from streamlit.testing.v1 import AppTest

from shared.schemas import DatasetRead, ModelRead
from ui.api_client import ApiClient

FitAndWait = Callable[[dict[str, object]], ModelRead]


def picked(page: Callable[[str], AppTest], model: ModelRead) -> AppTest:
    at = page("models").run()
    assert not at.exception, [e.value for e in at.exception]
    at.selectbox(key="models.picked").set_value(model.id).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_the_table_lists_every_model(
    page: Callable[[str], AppTest], api: ApiClient, default_models: list[ModelRead]
) -> None:
    at = page("models").run()
    assert not at.exception
    table = at.dataframe[0].value
    assert set(table["name"]) >= {"toxic-logreg", "toxic-naive-bayes"}
    assert list(table.columns[:6]) == ["name", "version", "kind", "status", "default", "loaded"]
    assert {"accuracy", "f1", "roc_auc", "params", "dataset", "created"} <= set(table.columns)
    assert set(table[table["default"]]["dataset"]) == {"demo data"}


def test_detail_shows_metrics_confusion_matrix_and_roc(
    page: Callable[[str], AppTest], trained_model: ModelRead
) -> None:
    at = picked(page, trained_model)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Accuracy"] == f"{trained_model.metrics.accuracy:.3f}"
    assert metrics["ROC AUC"] == f"{trained_model.metrics.roc_auc:.3f}"
    charts = at.get("plotly_chart")
    assert len(charts) == 2  # confusion matrix and ROC curve
    assert "Held-out test split" in at.caption[0].value
    report = trained_model.preprocessing_report
    assert report is not None and report.rows_left == trained_model.metrics.n_train + (
        trained_model.metrics.n_test
    )
    rows = next(m.value for m in at.markdown if m.value.startswith("**Rows:**"))
    assert f"{report.rows_read:,} read" in rows and f"{report.rows_left:,} left" in rows


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
    assert not at.exception
    assert model.id not in {m.id for m in api.list_models()}


def test_a_default_model_cannot_be_removed(
    page: Callable[[str], AppTest], default_models: list[ModelRead]
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
