"""Multi-label on the pages: the Train page fits on several label columns, the Predict page
shows each label's probability and the labels that apply."""

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
    more.set_value(["threat", "obscene"]).run()
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
    assert "own probability" in at.caption[0].value


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
