"""The Predict page's CSV tab: a file's every row predicted by the picked model, a preview
of the result and its download (plain, and with a byte order mark for Excel)."""

import codecs
import csv
import io
from pathlib import PurePath

import pandas as pd
import streamlit as st

from shared.prediction_file import CONFIDENCE_COLUMN, EMPTY_NOTE, NOTE_COLUMN
from shared.schemas import ModelSummary
from ui import data
from ui.api_client import PredictedFile
from ui.components import files
from ui.components.backend import call, get_client
from ui.components.models import cached_model, model_name
from ui.components.tables import number_columns
from ui.words import counted

CSV_RESULT = "predict.csv_result"
PREVIEW_ROWS = 20
NO_SEGMENT = "(none: every row is 'default')"


def csv_preview(predictions: bytes) -> tuple[pd.DataFrame, list[str]]:
    """The predicted file's first rows and its score columns, as numbers: missing (NaN)
    where a row was not predicted (an empty text: the file leaves those cells empty)."""
    preview = data.read_csv_bytes(predictions, nrows=PREVIEW_ROWS)
    scores = [c for c in preview.columns if c == CONFIDENCE_COLUMN or c.startswith("P(")]
    for column in scores:
        preview[column] = pd.to_numeric(preview[column].replace("", None), errors="coerce")
    return preview, scores


def csv_prediction(model: ModelSummary, ref: str) -> None:
    """`ref`: what the predictions name, the model's id or an alias of its name."""
    picked = files.picked_csv("A CSV file with a text column", "predict.file", "predict.format")
    if picked is None:
        return
    file, fmt, content = picked.file, picked.fmt, picked.content
    columns = picked.check.columns
    column = st.selectbox(
        "Text column",
        columns,
        index=columns.index(model.text_column) if model.text_column in columns else 0,
        key="predict.csv_column",
    )
    segment_column = st.selectbox(
        "Segment column (optional)",
        [NO_SEGMENT, *[c for c in columns if c != column]],
        key="predict.csv_segment_column",
        help="A column naming each row's business line, for the Monitor page's figures per "
        "segment; a blank cell is 'default'.",
    )
    segment = None if segment_column == NO_SEGMENT else segment_column
    asked = (model.id, ref, file.file_id, column, segment, fmt)
    if st.button("Predict the file", type="primary", key="predict.csv_run"):
        with st.spinner("Predicting every row…"):
            predictions = call(
                "Predicting the file",
                get_client().predict_csv,
                ref,
                file.name,
                content,
                column,
                segment,
                encoding=fmt.encoding,
                delimiter=fmt.delimiter,
            )
        if predictions is not None:
            name = f"{PurePath(file.name).stem}_predictions.csv"
            notes = noted_rows(predictions.content)  # once: the file can be large
            st.session_state[CSV_RESULT] = (asked, name, predictions, notes)
    stored = st.session_state.get(CSV_RESULT)
    # shown only for what was asked: another model, file or column has no results yet
    if not stored or stored[0] != asked:
        return
    _, name, answered, (unpredicted, warned) = stored
    predictions = answered.content
    if ref != model.id:  # through an alias: the version it named then
        st.caption(f"Answered by **{answered_by(answered)}** through `{ref}`.")
    if unpredicted or warned:
        st.warning(notes_said(unpredicted, warned), icon=":material/sticky_note_2:")
    preview, scores = csv_preview(predictions)
    st.markdown(
        f"**{name}** — "
        + ("its only row:" if len(preview) == 1 else f"the first {len(preview):,} rows:")
    )
    # the file keeps every digit; the preview shows three places, like the other tables.
    # A row with an empty text has no prediction: its cells are blank, its Note says why.
    st.dataframe(preview, hide_index=True, column_config=number_columns(scores), placeholder="")
    left, right = st.columns(2)
    left.download_button(
        "Download the predictions (CSV)",
        data=predictions,
        file_name=name,
        mime="text/csv",
        type="primary",
        icon=":material/download:",
        key="predict.download",
    )
    right.download_button(
        "Download for Excel",
        data=for_excel(predictions),
        file_name=name,
        mime="text/csv",
        icon=":material/table:",
        key="predict.download_excel",
        help="The same file with a byte order mark, which Excel needs to read UTF-8: "
        "without it, Chinese or Russian text shows as gibberish there. Other programs "
        "(pandas, this product) read the plain file.",
    )


def answered_by(answered: PredictedFile) -> str:
    """The version that answered a file, by name when the list of models has it."""
    model = cached_model(answered.model_id)
    if model is not None:
        return model_name(model)
    return f"model {answered.model_id}" + (f" v{answered.version}" if answered.version else "")


def noted_rows(predictions: bytes) -> tuple[int, int]:
    """(rows not predicted: an empty text, rows answered with a word of warning), from the
    result's `Note` column (the last so named: an input column may be called Note too)."""
    header = next(csv.reader(io.StringIO(predictions[:65536].decode("utf-8-sig", "ignore"))))
    if NOTE_COLUMN not in header:
        return 0, 0
    position = len(header) - 1 - header[::-1].index(NOTE_COLUMN)
    notes = pd.read_csv(
        io.BytesIO(predictions), usecols=[position], dtype=str, keep_default_na=False,
        encoding="utf-8-sig",
    ).iloc[:, 0]  # fmt: skip
    unpredicted = int((notes == EMPTY_NOTE).sum())
    return unpredicted, int((notes != "").sum()) - unpredicted


def notes_said(unpredicted: int, warned: int) -> str:
    said = []
    if unpredicted:
        said.append(f"**{counted(unpredicted, 'row')} not predicted** (an empty text)")
    if warned:
        said.append(
            f"**{counted(warned, 'answer')} with a word of warning** (few or no words the "
            "model knows, another script than its training texts', or a text cut short)"
        )
    return " and ".join(said) + ": the Note column says which and why."


def for_excel(predictions: bytes) -> bytes:
    """The predicted CSV (UTF-8) as Excel reads it: with a UTF-8 byte order mark."""
    return codecs.BOM_UTF8 + predictions
