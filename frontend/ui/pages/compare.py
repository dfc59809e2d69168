"""Compare models by ROC: score several models on the same labelled data, side by side."""

import streamlit as st

from shared.schemas import DatasetRead, ModelStatus, ModelSummary, ScoresRequest, ScoresResponse
from ui import navigation, state
from ui.analysis.evaluation import ModelCurves, base_rate, comparison_table, model_curves
from ui.components import charts, files
from ui.components.backend import call, call_or_stop, get_client
from ui.components.models import model_name, pick_models

CURRENT, OTHER = "The uploaded data", "Another CSV file"
RESULT = "compare.result"
OTHER_DATASET = "compare.other_dataset"
OTHER_FILE = "compare.other_file"  # the upload widget's file id: a new file is uploaded again


def render() -> None:
    st.title("Compare models by ROC")
    models = call_or_stop("Listing the models", get_client().list_models)
    ready = [m for m in models if m.status == ModelStatus.READY]
    if not ready:
        st.info("No trained models yet: train one on the Train page.")
        return
    defaults = [m.id for m in ready if m.is_default] or [ready[0].id]
    picked = pick_models("Models to compare", ready, key="compare.models", default=defaults)
    source = st.radio("Score them on", [CURRENT, OTHER], horizontal=True, key="compare.source")
    target = current_data() if source == CURRENT else other_data()
    if target is None:
        return
    dataset_id, text_column, label_column = target
    if st.button(
        "Compare",
        type="primary",
        disabled=not picked,
        key="compare.run",
        help=None if picked else "Pick at least one model.",
    ):
        request = ScoresRequest(
            model_ids=[m.id for m in picked],
            dataset_id=dataset_id,
            text_column=text_column,
            label_column=label_column,
        )
        with st.spinner(f"Scoring {len(picked)} model(s)…"):
            scores = call("Scoring the models", get_client().predict_scores, request)
        if scores is not None:
            st.session_state[RESULT] = (scores, {m.id: m for m in picked}, dataset_id)
    stored = st.session_state.get(RESULT)
    if stored is not None:
        show_comparison(*stored)


def current_data() -> tuple[str, str, str] | None:
    chosen = state.selection()
    if chosen is None:
        st.info("No dataset is selected: pick one on the Upload page, or use another CSV file.")
        st.page_link(navigation.page("upload"), label="Go to Upload data")
        return None
    st.caption(f"Dataset {chosen.describe()}")
    return chosen.dataset_id, chosen.text_column, chosen.label_column


def other_data() -> tuple[str, str, str] | None:
    """A CSV uploaded as a dataset of its own, then scored by its dataset id."""
    file = files.csv_uploader("A labelled CSV file", key="compare.file")
    if file is not None:
        result = files.checked(file)
        if result is None:
            return None
        content = result[0]
        if st.session_state.get(OTHER_FILE) != file.file_id:
            with st.spinner("Uploading the file…"):
                stored = call("Uploading", get_client().upload_dataset, file.name, content)
            if stored is None:
                return None
            st.session_state[OTHER_DATASET] = stored
            st.session_state[OTHER_FILE] = file.file_id
    dataset: DatasetRead | None = st.session_state.get(OTHER_DATASET)
    if dataset is None:
        return None
    names = [c.name for c in dataset.columns]
    text_default, label_default = state.default_columns(names)
    left, right = st.columns(2)
    text = left.selectbox(
        "Text column", names, index=names.index(text_default), key=f"compare.text.{dataset.id}"
    )
    label = right.selectbox(
        "Label column", names, index=names.index(label_default), key=f"compare.label.{dataset.id}"
    )
    st.caption(f"Stored as dataset **{dataset.name}** ({dataset.rows:,} rows).")
    return dataset.id, text, label


def show_comparison(
    scores: ScoresResponse, models: dict[str, ModelSummary], dataset_id: str
) -> None:
    curves: list[ModelCurves] = []
    for result in scores.results:
        model = models.get(result.model_id)
        name = model_name(model) if model else result.model_id
        if result.positive_label is None:
            st.warning(f"{name}: ROC curves need two classes; this model has more.")
            continue
        curves.append(
            model_curves(
                name,
                scores.labels,
                result.scores,
                result.positive_label,
                roc_auc=result.roc_auc,
                fpr=result.fpr,
                tpr=result.tpr,
            )
        )
    if not curves:
        return
    positive = scores.results[0].positive_label
    st.caption(f"{len(scores.labels):,} labelled texts; positive class `{positive}`.")
    trained_on = [model_name(m) for m in models.values() if m.dataset_id == dataset_id]
    if trained_on:
        st.warning(
            "Trained on this very dataset, so their scores here are optimistic: "
            + "; ".join(trained_on),
            icon=":material/warning:",
        )
    left, right = st.columns(2)
    with left:
        st.markdown("**ROC curves**")
        roc = [(legend(c.name, "AUC", c.roc_auc), c.fpr, c.tpr) for c in curves if c.fpr]
        st.plotly_chart(charts.roc_chart(roc), key="compare.roc")
    with right:
        st.markdown("**Precision-recall curves**")
        pr = [(legend(c.name, "AP", c.average_precision), c.recall, c.precision) for c in curves]
        rate = base_rate(scores.labels, positive)
        st.plotly_chart(charts.pr_chart(pr, rate), key="compare.pr")
    st.markdown("**Metrics** (best F1 over all thresholds of the model's score)")
    st.dataframe(
        comparison_table(curves),
        hide_index=True,
        key="compare.table",
        column_config={
            c: st.column_config.NumberColumn(format="%.3f")
            for c in ("ROC AUC", "average precision", "best F1", "at threshold")
        },
    )


def legend(name: str, metric: str, value: float | None) -> str:
    return f"{name} — {metric} {value:.3f}" if value is not None else name
