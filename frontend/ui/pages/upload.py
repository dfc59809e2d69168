"""Upload: the entry point. A CSV in (or one already stored), its columns mapped, a summary."""

import hashlib
from dataclasses import replace
from pathlib import PurePath

import pandas as pd
import streamlit as st

from shared.schemas import DatasetRead
from ui import data, navigation, state
from ui.analysis.csv_check import human_size
from ui.api_client import ApiError
from ui.components import charts, files
from ui.components.backend import call, call_or_stop, get_client, show_error, stop_on_error
from ui.components.retrieval import looks_like_qa
from ui.components.tables import number_columns
from ui.words import counted

UPLOAD, STORED = "Upload a CSV", "Pick a stored dataset"
PREVIEW_ROWS = 20
MAX_CLASSES_SHOWN = 50
CONFIRM_DELETE = "upload.confirm_delete"  # the id of the dataset waiting for a yes
DELETED = "upload.deleted"
NUMBER_TYPES = ("int", "float")  # a column's dtype as the dataset summary says it
STORED_PICK = "upload.stored"  # the stored datasets' picker
NAME_OF = "upload.name_of"  # the file whose name the name field holds


def render() -> None:
    st.title("Upload data")
    st.caption(
        "Start here: upload a labelled CSV, or pick one the server already has, then say "
        "which column holds the text and which the label. The choice stays for every page."
    )
    source = st.radio("Source", [UPLOAD, STORED], horizontal=True, key="upload.source")
    if source == UPLOAD:
        upload_form()
    else:
        stored_picker()
    chosen = state.selection()
    if chosen is None:
        return
    dataset = call("Reading the dataset", get_client().get_dataset, chosen.dataset_id)
    if dataset is None:
        return
    st.divider()
    chosen = column_mapping(dataset, chosen)
    summary(dataset, chosen)


def upload_form() -> None:
    picked = files.picked_csv("A CSV file with a header row", "upload.file", "upload.format")
    if picked is None:
        return
    file, fmt, content, check = picked.file, picked.fmt, picked.content, picked.check
    st.caption(f"{file.name}: {human_size(len(content))}, columns {', '.join(check.columns)}")
    if st.session_state.get(NAME_OF) != file.file_id:
        # another file: its own name, not the one typed (or proposed) for the last file
        st.session_state[NAME_OF] = file.file_id
        st.session_state["upload.name"] = PurePath(file.name).stem
    name = st.text_input("Dataset name", key="upload.name")
    if not st.button("Upload", type="primary", key="upload.submit"):
        return
    # the server keeps one copy of the same bytes: no need to send them again (a file in
    # another format is stored converted: its hash is known once the server has it)
    if fmt.is_default:
        sha256 = hashlib.sha256(content).hexdigest()
        stored = call("Listing the datasets", get_client().list_datasets) or []
        existing = next((d for d in stored if d.sha256 == sha256), None)
        if existing is not None:
            choose(existing)
            st.success(f"Already on the server as **{existing.name}**: selected it.")
            return
    with st.spinner("Uploading and checking the file…"):
        dataset = call(
            "Uploading",
            get_client().upload_dataset,
            file.name,
            content,
            name,
            encoding=fmt.encoding,
            delimiter=fmt.delimiter,
        )
    if dataset is not None:
        choose(dataset)
        st.success(f"Stored as **{dataset.name}**: {dataset.rows:,} rows.", icon=":material/check:")


def stored_picker() -> None:
    deleted = st.session_state.pop(DELETED, None)
    if deleted:
        st.success(deleted, icon=":material/check:")
    datasets = call_or_stop("Listing the datasets", get_client().list_datasets)
    if not datasets:
        st.info("The server has no datasets yet: upload one.")
        return
    chosen = state.selection()
    ids = [d.id for d in datasets]
    by_id = {d.id: d for d in datasets}
    # the picker shows the dataset in use, and picking one puts it in use: what the page
    # shows below is always what the picker says
    picked = st.selectbox(
        "Stored datasets (newest first)",
        ids,
        index=ids.index(chosen.dataset_id) if chosen and chosen.dataset_id in ids else None,
        format_func=lambda i: describe(by_id[i]),
        placeholder="Choose a dataset",
        key=STORED_PICK,
        on_change=lambda: pick_stored(by_id),
    )
    if picked is None:
        return
    delete_controls(by_id[picked])


def pick_stored(by_id: dict[str, DatasetRead]) -> None:
    picked = st.session_state.get(STORED_PICK)
    if picked in by_id:
        choose(by_id[picked])


def delete_controls(dataset: DatasetRead) -> None:
    """Delete a stored dataset, after a confirmation that says which models it trained."""
    if st.session_state.get(CONFIRM_DELETE) != dataset.id:
        st.button(
            "Delete this dataset…",
            key="upload.delete",
            icon=":material/delete:",
            on_click=lambda: st.session_state.update({CONFIRM_DELETE: dataset.id}),
        )
        return
    models = call("Listing the models", get_client().list_models) or []
    trained = sum(m.trained_on(dataset.id) for m in models)
    consequence = (
        f" {counted(trained, 'model')} {'was' if trained == 1 else 'were'} trained on it: "
        f"{'it stays' if trained == 1 else 'they stay'}, and keep"
        f"{'s' if trained == 1 else ''} its name and hash."
        if trained
        else ""
    )
    st.warning(f"Delete **{dataset.name}** for good?{consequence}", icon=":material/warning:")
    yes, no = st.columns(2)
    if yes.button("Delete", type="primary", key="upload.delete_yes"):
        st.session_state.pop(CONFIRM_DELETE, None)
        try:
            # confirmed: also when a model trained on it since the list above was read
            get_client().delete_dataset(dataset.id, force=True)
        except ApiError as error:
            show_error("Deleting the dataset", error)
            return
        chosen = state.selection()
        if chosen is not None and chosen.dataset_id == dataset.id:
            state.clear_selection()
        st.session_state[DELETED] = f"Deleted the dataset **{dataset.name}**."
        st.rerun()
    no.button(
        "Keep it",
        key="upload.delete_no",
        on_click=lambda: st.session_state.pop(CONFIRM_DELETE, None),
    )


def describe(dataset: DatasetRead) -> str:
    created = dataset.created_at.strftime("%Y-%m-%d %H:%M")
    return f"{dataset.name} · {dataset.rows:,} rows · {dataset.filename} · {created}"


def choose(dataset: DatasetRead) -> None:
    """Select `dataset`, keeping the column mapping when it is the same dataset."""
    current = state.selection()
    if current is not None and current.dataset_id == dataset.id:
        return
    text, label = state.default_columns([c.name for c in dataset.columns])
    state.select(state.Selection(dataset.id, dataset.name, text, label))


def column_mapping(dataset: DatasetRead, chosen: state.Selection) -> state.Selection:
    st.subheader(f"Dataset: {dataset.name}")
    names = [c.name for c in dataset.columns]
    left, right = st.columns(2)
    text = left.selectbox(
        "Text column",
        names,
        index=names.index(chosen.text_column) if chosen.text_column in names else 0,
        key=f"upload.text.{dataset.id}",
    )
    label = right.selectbox(
        "Label column",
        names,
        index=names.index(chosen.label_column) if chosen.label_column in names else len(names) - 1,
        key=f"upload.label.{dataset.id}",
    )
    if (text, label) != (chosen.text_column, chosen.label_column):
        chosen = replace(chosen, text_column=text, label_column=label)
        state.select(chosen)
    if len(names) == 1:
        st.warning(
            f"The file has one column, `{text}`: training needs a text column and a label "
            "column. Upload a labelled file; to classify unlabelled texts, use the Predict "
            "page's CSV file tab."
        )
    elif text == label:
        st.warning("The text and the label are the same column: pick two different ones.")
    elif next(c.dtype for c in dataset.columns if c.name == text) in NUMBER_TYPES:
        st.warning(
            f"The text column `{text}` holds numbers, not texts: is it an id? Pick the "
            "column of texts to classify.",
            icon=":material/warning:",
        )
    return chosen


def summary(dataset: DatasetRead, chosen: state.Selection) -> None:
    cols = st.columns(5)
    cols[0].metric("Rows", f"{dataset.rows:,}")
    cols[1].metric("Columns", len(dataset.columns))
    cols[2].metric("Duplicate rows", f"{dataset.duplicate_rows:,}")
    cols[3].metric("Missing values", f"{sum(c.missing for c in dataset.columns):,}")
    cols[4].metric("Size", human_size(dataset.size_bytes))

    with st.spinner("Downloading the dataset…"), stop_on_error("Downloading the dataset"):
        frame = data.dataset_frame(dataset.id)
    left, right = st.columns([3, 2])
    with left:
        st.markdown("**Preview**")
        st.dataframe(frame.head(PREVIEW_ROWS), hide_index=True, height=300)
    with right:
        st.markdown("**Missing values per column**")
        missing = number_columns(counts=("missing",))
        st.dataframe(missing_table(dataset), hide_index=True, column_config=missing)

    if looks_like_qa(dataset) and "question" in [c.name for c in dataset.columns]:
        # its "label" would be the answers: thousands of classes, nothing to train on
        st.info(
            "This looks like a question-answering dataset (`context` and `question` "
            "columns): it is explored, and retrievers are fitted on it, on the retrieval "
            "pages.",
            icon=":material/question_answer:",
        )
        explore, fit = st.columns(2)
        with explore:
            st.page_link(navigation.page("retrieval_explore"), label="Explore it as QA data")
        with fit:
            st.page_link(navigation.page("retrieval_train"), label="Fit a retriever on it")
        return
    if chosen.text_column == chosen.label_column:
        return  # no labels to count, nothing to train on yet (column_mapping said why)
    st.markdown(f"**Class balance** of `{chosen.label_column}`")
    balance = data.class_balance(dataset.id, chosen.label_column)
    if len(balance) > MAX_CLASSES_SHOWN:
        st.warning(
            f"`{chosen.label_column}` has {len(balance):,} distinct values: is it really the label?"
        )
        balance = balance.head(MAX_CLASSES_SHOWN)
    elif len(balance) < 2:
        st.warning("The label column has fewer than two classes: a classifier needs two or more.")
    left, right = st.columns([3, 2])
    left.plotly_chart(charts.class_balance_bars(balance), key="upload.balance")
    right.dataframe(
        balance,
        hide_index=True,
        # as the chart says them: 61.4 %, 1,843
        column_config=number_columns(counts=("count",))
        | {"share": st.column_config.NumberColumn(format="percent")},
    )

    st.markdown("**Next:**")
    links = st.columns(3)
    with links[0]:
        st.page_link(navigation.page("eda"), label="Explore this dataset")
    with links[1]:
        st.page_link(navigation.page("train"), label="Train a model on it")
    with links[2]:
        st.page_link(navigation.page("compare"), label="Compare models on it")


def missing_table(dataset: DatasetRead) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "column": [c.name for c in dataset.columns],
            "type": [c.dtype for c in dataset.columns],
            "missing": [c.missing for c in dataset.columns],
            "missing %": [
                round(100 * c.missing / max(dataset.rows, 1), 2) for c in dataset.columns
            ],
        }
    )
