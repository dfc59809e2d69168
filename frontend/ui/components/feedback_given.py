"""The labels given for a model name: the newest, one to take back (a wrong key pressed
while labelling), and all of them as CSV."""

import pandas as pd
import streamlit as st

from shared.schemas import ModelRead
from ui.api_client import ApiError
from ui.components import files
from ui.components.backend import call, get_client, show_error
from ui.words import counted

SHOWN = 50
FLASH = "label.labels_flash"  # what was just taken back or added


def given_labels(model: ModelRead) -> int | None:
    """An expander with the name's newest labels (a picked row can be taken back), and one
    to add many at once from a CSV; how many labels the name has (None: not read)."""
    total = labels_list(model)
    labels_from_csv(model)
    return total


def labels_list(model: ModelRead) -> int | None:
    """The name's newest labels; a picked row can be taken back. Returns their number."""
    listed = call("Reading the labels given", get_client().list_feedback, model.id, limit=SHOWN)
    if listed is None:
        return None
    labels, total = listed
    flash = st.session_state.pop(FLASH, None)
    with st.expander(
        f"Labels given for {model.name} ({total:,})", icon=":material/list:", expanded=bool(flash)
    ):
        if flash:
            st.success(flash, icon=":material/check:")
        if not labels:
            st.caption("None yet.")
            return total
        st.caption(
            f"The newest {counted(len(labels), 'label')} of {total:,}, for every version of "
            f"{model.name}. Click a row to take a label back."
        )
        table = pd.DataFrame(
            {
                "given": [f.created_at.strftime("%Y-%m-%d %H:%M") for f in labels],
                "label": [f.label for f in labels],
                "text": [(f.text or "(not kept)")[:200] for f in labels],
                "segment": [f.segment for f in labels],
                "version": [f.model_id[:8] for f in labels],
            }
        )
        event = st.dataframe(
            table,
            hide_index=True,
            on_select="rerun",
            selection_mode="single-row",
            key=f"label.given.{model.name}",
        )
        rows = event.selection.rows if event else []
        left, right = st.columns(2)
        if rows and left.button("Take back this label", key="label.take_back"):
            chosen = labels[rows[0]]
            try:
                get_client().delete_feedback(model.id, chosen.id)
            except ApiError as error:
                show_error("Taking the label back", error)
            else:
                st.session_state[FLASH] = (
                    f"Took back the label `{chosen.label}` of “{(chosen.text or '')[:60]}”."
                )
                st.rerun()
        if right.button("Export every label (CSV)", key="label.export_prepare"):
            exported = call("Reading every label", get_client().export_feedback, model.id)
            if exported is not None:
                right.download_button(
                    "Download the CSV",
                    data=exported,
                    file_name=f"{model.name}_feedback.csv",
                    mime="text/csv",
                    key="label.export",
                )
    return total


def labels_from_csv(model: ModelRead) -> None:
    """Labels from a CSV of texts and their true labels (a reviewed export, a spreadsheet):
    each is kept as a label given for the name, as one given here would be."""
    with st.expander(f"Add labels from a CSV file for {model.name}", icon=":material/upload:"):
        picked = files.picked_csv(
            "A CSV of texts and their labels", "label.csv_file", "label.csv_format", nested=True
        )
        if picked is None:
            return
        file, fmt, content = picked.file, picked.fmt, picked.content
        columns = picked.check.columns
        left, right = st.columns(2)
        text = left.selectbox(
            "Text column",
            columns,
            index=columns.index("text") if "text" in columns else 0,
            key="label.csv_text",
        )
        label = right.selectbox(
            "Label column",
            columns,
            index=columns.index("label") if "label" in columns else min(1, len(columns) - 1),
            key="label.csv_label",
        )
        if st.button("Add these labels", key="label.csv_add", type="primary"):
            added = call(
                "Adding the labels",
                get_client().import_feedback_csv,
                model.id,
                file.name,
                content,
                text_column=text,
                label_column=label,
                encoding=fmt.encoding,
                delimiter=fmt.delimiter,
            )
            if added is not None:
                st.session_state[FLASH] = (
                    f"Added {counted(added.added, 'label')} from {file.name} "
                    f"({counted(added.matched_predictions, 'logged prediction')} among them)."
                )
                st.rerun()
