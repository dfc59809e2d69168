"""The Compare page: ROC and precision-recall curves of several models, the best marked."""

import re
from collections.abc import Callable

from streamlit.testing.v1 import AppTest

from shared.schemas import LineageDataset, ModelRead, ModelSummary, ScoreResult
from testkit.samples import labelled_csv, multiclass_csv
from ui.analysis.evaluation import BEST_MARK
from ui.api_client import ApiClient
from ui.components.comparison import per_class_heading
from ui.components.models import model_name
from ui.pages.compare import EVERY_ROW, HELD_OUT, held_out_caption
from ui.state import Selection


def compared(
    page: Callable[[str], AppTest], selection: Selection, ids: list[str], source: str | None = None
) -> AppTest:
    at = page("compare")
    at.session_state["selection"] = selection
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    at.multiselect(key="compare.models").set_value(ids).run()
    if source is not None:
        at.radio(key="compare.source").set_value(source).run()
    at.button(key="compare.run").click().run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_by_default_each_model_on_its_own_held_out_split(
    page: Callable[[str], AppTest],
    demo_selection: Selection,
    default_models: list[ModelSummary],
    trained_model: ModelRead,
) -> None:
    models = [*default_models, trained_model]
    at = compared(page, demo_selection, [m.id for m in models])
    assert at.radio(key="compare.source").value == HELD_OUT
    charts = at.get("plotly_chart")
    assert len(charts) == 2
    roc = charts[0].proto.spec
    assert roc.count("AUC 0.") == 3
    table = at.dataframe[0].value
    assert len(table) == 3
    assert list(table[""]).count(BEST_MARK) == 1  # held-out rows only: a fair ranking
    assert table["ROC AUC"].iloc[0] == table["ROC AUC"].max()
    n_test = {model_name(m): m.metrics.n_test for m in models if m.metrics}
    assert dict(zip(table["model"], table["texts"], strict=True)) == n_test
    assert any("its held-out split" in c.value for c in at.caption)
    # what ranks them, said above the table (its "best F1" column is not the key)
    assert any(m.value.startswith("**Metrics**, best ROC AUC first") for m in at.markdown)
    # the per-class figures say at which threshold, and why they differ from Models'
    assert any("in sample" in c.value and "cross-fitted" in c.value for c in at.caption)
    assert not at.warning
    per_class = at.dataframe[1].value
    assert list(per_class.columns[:6]) == ["model", "class", "precision", "recall", "F1", "support"]
    assert len(per_class) == 6  # three models, two classes each


def test_the_held_out_caption_names_the_models_scored_on_every_row(
    default_models: list[ModelSummary],
) -> None:
    logreg, bayes = default_models[:2]
    names = model_name(logreg), model_name(bayes)
    own = held_out_caption([logreg, bayes], logreg.dataset_id or "")
    assert own == f"Scored on their own held-out split: {names[0]}, {names[1]}."
    assert "every row" not in own
    elsewhere = logreg.model_copy(update={"dataset_id": "another", "lineage_datasets": []})
    mixed = held_out_caption([elsewhere, bayes], bayes.dataset_id or "")
    assert mixed.endswith(f"split: {names[1]}. On every row: {names[0]}.")
    assert "None of these" in held_out_caption([logreg], "another")
    # the second dataset of a retrain on both: named by its lineage only, as the API sees
    # it; its split is of both together
    both = logreg.model_copy(
        update={"lineage_datasets": [*logreg.lineage_datasets, LineageDataset(id="added")]}
    )
    assert held_out_caption([both], "added") == (
        f"Scored on their own held-out split: {names[0]} (of its 2 datasets together)."
    )
    # a continuation's split is of the rows it was continued on
    continued = both.model_copy(
        update={"source": "incremental", "dataset_id": "added", "dataset_name": "more rows"}
    )
    assert held_out_caption([continued], logreg.dataset_id or "") == (
        f"Scored on their own held-out split: {names[0]} (of more rows, the rows it last learnt)."
    )
    # an imported version's split is not here: every row
    imported = logreg.model_copy(update={"source": "import"})
    assert held_out_caption([imported, bayes], logreg.dataset_id or "").endswith(
        f"On every row: {names[0]}."
    )


def test_on_every_row_no_model_is_crowned(
    page: Callable[[str], AppTest],
    demo_selection: Selection,
    default_models: list[ModelRead],
) -> None:
    at = compared(page, demo_selection, [m.id for m in default_models], EVERY_ROW)
    assert "no model is marked best" in at.warning[0].value
    # with how many of the rows each trained on, which its bundle tells
    counts = re.findall(r"\((\d[\d,]*) of its ([\d,]+) rows\)", at.warning[0].value)
    assert len(counts) == len(default_models), at.warning[0].value
    assert all(0 < int(a.replace(",", "")) < int(b.replace(",", "")) for a, b in counts)
    assert "" not in at.dataframe[0].value.columns  # no mark, and no empty column for one


def test_results_never_stay_under_changed_inputs(
    page: Callable[[str], AppTest],
    demo_selection: Selection,
    default_models: list[ModelRead],
) -> None:
    at = compared(page, demo_selection, [m.id for m in default_models])
    assert len(at.get("plotly_chart")) == 2
    at.radio(key="compare.source").set_value(EVERY_ROW).run()
    assert not at.get("plotly_chart") and not at.dataframe
    assert "press Compare" in at.info[0].value
    at.radio(key="compare.source").set_value(HELD_OUT).run()  # the inputs that made them
    assert len(at.get("plotly_chart")) == 2


def test_a_binary_model_on_three_class_data_says_why(
    page: Callable[[str], AppTest], api: ApiClient, default_models: list[ModelRead]
) -> None:
    dataset = api.upload_dataset("topics.csv", multiclass_csv(60))
    selection = Selection(dataset.id, dataset.name, "text", "topic")
    at = compared(page, selection, [default_models[0].id])
    assert "knows the classes [0, 1]" in at.error[0].value
    assert not at.get("plotly_chart")


def test_the_models_of_the_picked_dataset_are_picked_first(
    page: Callable[[str], AppTest],
    api: ApiClient,
    fit_and_wait: Callable[[dict[str, object]], ModelRead],
    default_models: list[ModelSummary],
) -> None:
    dataset = api.upload_dataset("topics-first.csv", multiclass_csv(60, seed=8))
    model = fit_and_wait(
        {"name": "topics-first", "kind": "logreg", "dataset_id": dataset.id,
         "text_column": "text", "label_column": "topic"}
    )  # fmt: skip
    at = page("compare")
    at.session_state["selection"] = Selection(dataset.id, dataset.name, "text", "topic")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    # not the default models, which know the toxic comments' labels only
    assert at.multiselect(key="compare.models").value == [model.id]
    at.button(key="compare.run").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("one-vs-rest ROC curves** (3 classes)" in m.value for m in at.markdown)
    roc = at.get("plotly_chart")[-1].proto.spec
    assert roc.count('"class ') == 3 and "classe " not in roc  # "class clean — AUC 0.9"


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
    at.radio(key="compare.source").set_value(EVERY_ROW).run()  # a held-out split: its own
    at.button(key="compare.run").click().run()
    assert not at.exception
    assert "failed" in at.error[0].value
    assert "no_such_column" in at.error[0].value


def test_a_model_that_cannot_be_scored_is_left_out_and_rows_must_match_for_a_best(
    page: Callable[[str], AppTest],
    api: ApiClient,
    fit_and_wait: Callable[[dict[str, object]], ModelRead],
    demo_selection: Selection,
    default_models: list[ModelSummary],
) -> None:
    topics = api.upload_dataset("topics-left-out.csv", multiclass_csv(60, seed=9))
    three = fit_and_wait(
        {"name": "topics-left-out", "kind": "logreg", "dataset_id": topics.id,
         "text_column": "text", "label_column": "topic"}
    )  # fmt: skip
    elsewhere = api.upload_dataset("binary-elsewhere.csv", labelled_csv(120, seed=77))
    binary = fit_and_wait(
        {"name": "binary-elsewhere", "kind": "logreg", "dataset_id": elsewhere.id}
    )
    logreg = default_models[0]
    at = compared(page, demo_selection, [logreg.id, three.id, binary.id])
    # the three-class model is left out, saying why; the other two are still compared
    assert "(left out)" in at.error[0].value and "topics-left-out" in at.error[0].value
    table = at.dataframe[0].value
    assert sorted(table["model"]) == sorted([model_name(logreg), model_name(binary)])
    # one on its held-out split, one on every row of the demo data: no model is crowned
    assert "" not in table.columns
    assert any(
        "some were scored on their held-out split, others on every row" in c.value
        for c in at.caption
    )


def test_the_per_class_heading_speaks_of_labels_for_multi_label_models() -> None:
    def result(multilabel: bool) -> ScoreResult:
        empty: list[float] = []
        return ScoreResult(
            model_id="m", scores=empty, roc_auc=None, fpr=empty, tpr=empty, multilabel=multilabel
        )

    assert per_class_heading([result(False)]).startswith("**Per class** (each class against")
    assert per_class_heading([result(True), result(True)]).startswith("**Per label**")
    assert per_class_heading([result(False), result(True)]).startswith("**Per class or label**")
