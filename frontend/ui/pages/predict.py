"""Predict: a loaded model labels a text, several texts (one per line) or a whole CSV file."""

from pathlib import PurePath

import pandas as pd
import streamlit as st

from shared.schemas import ModelSummary
from ui import data, navigation
from ui.components import files
from ui.components.backend import call, call_or_stop, get_client
from ui.components.models import pick_model

TEXT_RESULT = "predict.text_result"
CSV_RESULT = "predict.csv_result"
PREVIEW_ROWS = 20


def render() -> None:
    st.title("Predict")
    models = call_or_stop("Listing the models", get_client().list_models)
    loaded = [m for m in models if m.loaded]
    if not loaded:
        st.info("No model is loaded: load one on the Models page.", icon=":material/info:")
        st.page_link(navigation.page("models"), label="Go to Models")
        return
    model = pick_model("Loaded model", loaded, key="predict.model")
    assert model is not None
    text_tab, csv_tab = st.tabs(["Text", "CSV file"])
    with text_tab:
        text_prediction(model)
    with csv_tab:
        csv_prediction(model)


def texts_from(raw: str, one_per_line: bool) -> list[str]:
    if one_per_line:
        return [line.strip() for line in raw.splitlines() if line.strip()]
    return [raw] if raw.strip() else []


def text_prediction(model: ModelSummary) -> None:
    raw = st.text_area(
        "Text to classify",
        height=160,
        key="predict.text",
        placeholder="Paste a comment; line breaks are fine.",
    )
    per_line = st.toggle(
        "One text per line",
        key="predict.per_line",
        help="Off: the whole box is one text, line breaks included. On: each line is a text.",
    )
    if st.button("Predict", type="primary", key="predict.run"):
        texts = texts_from(raw, per_line)
        if not texts:
            st.warning("Write a text first.")
        else:
            answer = call("Predicting", get_client().predict, model.id, texts)
            if answer is not None:
                st.session_state[TEXT_RESULT] = (model.id, texts, answer.predictions)
    result = st.session_state.get(TEXT_RESULT)
    if not result or result[0] != model.id:
        return
    _, texts, predictions = result
    if len(predictions) == 1:
        left, right = st.columns(2)
        left.metric("Label", str(predictions[0].label))
        right.metric("Confidence", f"{predictions[0].confidence:.1%}")
        return
    st.dataframe(
        pd.DataFrame(
            {
                "text": texts,
                "label": [str(p.label) for p in predictions],
                "confidence": [p.confidence for p in predictions],
            }
        ),
        hide_index=True,
        column_config={"confidence": st.column_config.ProgressColumn(min_value=0, max_value=1)},
    )


def csv_prediction(model: ModelSummary) -> None:
    file = files.csv_uploader("A CSV file with a text column", key="predict.file")
    if file is None:
        return
    result = files.checked(file)
    if result is None:
        return
    content, check = result
    columns = check.columns
    column = st.selectbox(
        "Text column",
        columns,
        index=columns.index(model.text_column) if model.text_column in columns else 0,
        key="predict.csv_column",
    )
    if st.button("Predict the file", type="primary", key="predict.csv_run"):
        with st.spinner("Predicting every row…"):
            predictions = call(
                "Predicting the file",
                get_client().predict_csv,
                model.id,
                file.name,
                content,
                column,
            )
        if predictions is not None:
            name = f"{PurePath(file.name).stem}_predictions.csv"
            st.session_state[CSV_RESULT] = (model.id, name, predictions)
    stored = st.session_state.get(CSV_RESULT)
    if not stored or stored[0] != model.id:
        return
    _, name, predictions = stored
    preview = data.read_csv_bytes(predictions, nrows=PREVIEW_ROWS)
    st.markdown(f"**{name}** — the first {len(preview)} rows:")
    st.dataframe(preview, hide_index=True)
    st.download_button(
        "Download the predictions (CSV)",
        data=predictions,
        file_name=name,
        mime="text/csv",
        type="primary",
        icon=":material/download:",
        key="predict.download",
    )
