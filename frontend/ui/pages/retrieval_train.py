"""Retrievers: check a QA dataset, fit a retriever, and load, unload or remove them."""

import streamlit as st

from shared.schemas.retrieval import (
    RetrieverFitRequest,
    RetrieverKind,
    RetrieverParams,
    RetrieverRead,
    RetrieverStatus,
)
from ui import state
from ui.components.backend import call, call_or_stop, get_client, valid
from ui.components.param_form import field_widget
from ui.components.retrieval import (
    choose_columns,
    choose_dataset,
    describe,
    params_text,
    qa_report_summary,
)

ANALYZERS = {"both": "word + char_wb, fused", "word": "word n-grams", "char_wb": "char_wb n-grams"}
KINDS = {RetrieverKind.TFIDF: "TF-IDF (cosine)", RetrieverKind.BM25: "BM25"}
BM25_FIELDS = ("k1", "b")


def render() -> None:
    st.title("Retrievers")
    st.caption("Question → best context: a retriever indexes the contexts of a QA dataset.")
    client = get_client()
    chosen = state.selection()  # the dataset selected on Upload (its link), when it is QA data
    dataset = choose_dataset("retrieval_train.dataset", chosen.dataset_id if chosen else None)
    columns = choose_columns(dataset, "retrieval_train.columns") if dataset else None
    if dataset is not None and columns is not None:
        report = call("Reading the dataset as QA data", client.qa_report, dataset.id, columns)
        if report is not None:
            qa_report_summary(report)
        # outside the form: changing the kind shows that kind's own fields at once
        kind = st.radio(
            "Kind",
            list(RetrieverKind),
            format_func=KINDS.__getitem__,
            horizontal=True,
            key="retrieval_train.kind",
        )
        with st.form("retrieval_train.form"):
            name = st.text_input("Name", value="qa-retriever", key="retrieval_train.name")
            params = _kind_params(kind or RetrieverKind.TFIDF)
            submitted = st.form_submit_button("Fit", type="primary")
        if submitted:
            request = valid(
                RetrieverFitRequest,
                {
                    "name": name,
                    "dataset_id": dataset.id,
                    "kind": kind or RetrieverKind.TFIDF,
                    "params": params,
                    **columns.model_dump(),
                },
            )
            accepted = call("Fitting", client.fit_retriever, request) if request else None
            if accepted is not None:
                st.success(
                    f"Fitting {accepted.name} v{accepted.version}: follow it on the Tasks page."
                )
    st.subheader("All retrievers")
    for retriever in call_or_stop("Listing the retrievers", client.list_retrievers):
        _row(retriever)


def _kind_params(kind: RetrieverKind) -> dict[str, object]:
    """The fields of the chosen kind only: TF-IDF's vectorizer, or BM25's k1 and b."""
    if kind == RetrieverKind.BM25:  # bounds, defaults and help from the schema's fields
        fields = RetrieverParams.model_fields
        return {
            name: field_widget(name, fields[name], key=f"retrieval_train.{name}")
            for name in BM25_FIELDS
        }
    analyzer = st.selectbox(
        "Vectorizer",
        list(ANALYZERS),
        format_func=ANALYZERS.__getitem__,
        key="retrieval_train.analyzer",
    )
    return {"analyzer": analyzer}


def _row(retriever: RetrieverRead) -> None:
    client = get_client()
    with st.container(border=True):
        left, right = st.columns([3, 2])
        with left:
            state = "loaded" if retriever.loaded else retriever.status
            st.markdown(f"**{describe(retriever)}** · {state}")
            dataset = retriever.dataset_name or "(dataset deleted)"
            st.caption(
                f"{retriever.contexts or 0:,} contexts from {dataset} · {params_text(retriever)}"
            )
            if retriever.error:
                st.error(retriever.error)
        with right:
            if retriever.status == RetrieverStatus.TRAINING:
                return  # the Tasks page cancels it
            b1, b2 = st.columns(2)
            ready = retriever.status == RetrieverStatus.READY  # else failed or cancelled
            if ready and retriever.loaded:
                if b1.button("Unload", key=f"retrieval_train.unload.{retriever.id}"):
                    call("Unloading", client.unload_retriever, retriever.id)
                    st.rerun()
            elif ready and b1.button("Load", key=f"retrieval_train.load.{retriever.id}"):
                call("Loading", client.load_retriever, retriever.id)
                st.rerun()
            if not retriever.is_default and b2.button(
                "Remove", key=f"retrieval_train.remove.{retriever.id}"
            ):
                call("Removing", client.remove_retriever, retriever.id)
                st.rerun()
