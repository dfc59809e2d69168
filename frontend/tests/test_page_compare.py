"""The Compare page: ROC and precision-recall curves of several models, the best marked."""

from collections.abc import Callable

from streamlit.testing.v1 import AppTest

from shared.schemas import ModelRead, ModelSummary
from ui.analysis.evaluation import BEST_MARK
from ui.state import Selection


def test_on_the_uploaded_data(
    page: Callable[[str], AppTest],
    demo_selection: Selection,
    default_models: list[ModelSummary],
    trained_model: ModelRead,
) -> None:
    at = page("compare")
    at.session_state["selection"] = demo_selection
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    ids = [m.id for m in default_models] + [trained_model.id]
    at.multiselect(key="compare.models").set_value(ids).run()
    at.button(key="compare.run").click().run()
    assert not at.exception, [e.value for e in at.exception]
    charts = at.get("plotly_chart")
    assert len(charts) == 2
    roc = charts[0].proto.spec
    assert roc.count("AUC 0.") == 3
    table = at.dataframe[0].value
    assert len(table) == 3
    assert list(table[""]).count(BEST_MARK) == 1
    assert table["ROC AUC"].iloc[0] == table["ROC AUC"].max()
    assert "optimistic" in at.warning[0].value  # they were trained on this dataset


def test_on_another_csv_uploaded_as_a_dataset(
    page: Callable[[str], AppTest], default_models: list[ModelSummary]
) -> None:
    other = (
        b"review,label\n"
        + b"\n".join(
            [
                b'"what a lovely day",0',
                b'"you are an idiot",1',
                b'"thanks, great work",0',
                b'"shut up you moron",1',
                b'"see you tomorrow",0',
                b'"stupid ugly loser",1',
            ]
        )
        + b"\n"
    )
    at = page("compare").run()
    at.radio(key="compare.source").set_value("Another CSV file").run()
    at.file_uploader(key="compare.file").upload("other.csv", other, "text/csv").run()
    assert not at.exception, [e.value for e in at.exception]
    stored = at.session_state["compare.other_dataset"]
    assert at.selectbox(key=f"compare.text.{stored.id}").value == "review"
    assert at.selectbox(key=f"compare.label.{stored.id}").value == "label"
    at.button(key="compare.run").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert len(at.get("plotly_chart")) == 2
    assert len(at.dataframe[0].value) == len(default_models)
    assert not at.warning


def test_a_label_column_with_text_shows_the_backend_error(
    page: Callable[[str], AppTest], demo_selection: Selection
) -> None:
    at = page("compare")
    at.session_state["selection"] = Selection(
        demo_selection.dataset_id, "demo", "comment_text", "no_such_column"
    )
    at.run()
    at.button(key="compare.run").click().run()
    assert not at.exception
    assert "Scoring the models failed" in at.error[0].value
    assert "no_such_column" in at.error[0].value
