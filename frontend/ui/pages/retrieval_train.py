"""Retrievers: check a QA dataset, fit a retriever, and load, unload or remove them."""

from collections.abc import Callable

import streamlit as st

from shared.schemas import PreprocessingConfig
from shared.schemas.retrieval import (
    RetrieverFitRequest,
    RetrieverKind,
    RetrieverParams,
    RetrieverRead,
    RetrieverStatus,
)
from ui import state
from ui.api_client import ApiError
from ui.components.backend import call, call_or_stop, get_client, show_error, valid
from ui.components.param_form import field_widget, model_form
from ui.components.retrieval import (
    choose_columns,
    choose_dataset,
    describe,
    params_text,
    preprocessing_text,
    qa_report_summary,
)
from ui.settings import get_settings

ANALYZERS = {"both": "word + char_wb, fused", "word": "word n-grams", "char_wb": "char_wb n-grams"}
KINDS = {RetrieverKind.TFIDF: "TF-IDF (cosine)", RetrieverKind.BM25: "BM25"}
BM25_FIELDS = ("k1", "b")
FLASH = "retrieval_train.flash"  # (action, error) of a button whose rerun drew the page
CONFIRM_REMOVE = "retrieval_train.confirm_remove"  # the retriever asked about


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
            with st.expander("Preprocessing (contexts and questions alike)"):
                # a retriever indexes each distinct context once: nothing to deduplicate;
                # words are split by the pattern (the API takes jieba and new_words)
                preprocessing = model_form(
                    PreprocessingConfig,
                    key="retrieval_train.pre",
                    exclude=frozenset({"drop_duplicates", "tokenizer", "new_words"}),
                )
            submitted = st.form_submit_button("Fit", type="primary")
        if submitted:
            request = valid(
                RetrieverFitRequest,
                {
                    "name": name,
                    "dataset_id": dataset.id,
                    "kind": kind or RetrieverKind.TFIDF,
                    "params": params,
                    "preprocessing": preprocessing,
                    **columns.model_dump(),
                },
            )
            accepted = call("Fitting", client.fit_retriever, request) if request else None
            if accepted is not None:
                st.success(
                    f"Fitting {accepted.name} v{accepted.version}: follow it on the Tasks page."
                )
    st.subheader("All retrievers")
    listed = call_or_stop("Listing the retrievers", client.list_retrievers)
    training = any(r.status == RetrieverStatus.TRAINING for r in listed)

    # read again every few seconds while a fit runs, so it shows ready when it is
    @st.fragment(run_every=get_settings().tasks_refresh_s if training else None)
    def every_retriever() -> None:
        show_flash()  # here: a button in the list reruns the list alone
        current = call("Listing the retrievers", client.list_retrievers)
        if current is None:
            return
        if training and not any(r.status == RetrieverStatus.TRAINING for r in current):
            st.rerun()  # the whole page: the fit ended, and polling stops
        for retriever in current:
            _row(retriever)

    every_retriever()


def show_flash() -> None:
    """What went wrong with the last Load, Unload or Remove (its callback says)."""
    flash = st.session_state.pop(FLASH, None)
    if flash is not None:
        show_error(flash[0], flash[1])


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
            contexts = (
                "contexts counted when the fit ends"
                if retriever.status == RetrieverStatus.TRAINING
                else f"{retriever.contexts or 0:,} contexts"
            )
            cleaning = preprocessing_text(retriever.preprocessing)
            st.caption(
                f"{contexts} from {dataset} · {params_text(retriever)}"
                + (f" · {cleaning}" if cleaning else "")
            )
            if retriever.error:
                st.error(retriever.error)
        with right:
            if retriever.status == RetrieverStatus.TRAINING:
                return  # the Tasks page cancels it
            b1, b2 = st.columns(2)
            ready = retriever.status == RetrieverStatus.READY  # else failed or cancelled
            what = f"{retriever.name} v{retriever.version}"
            # callbacks: they run before the next run of the page, even when the retriever
            # went meanwhile (its row, and button, would not be drawn again)
            if ready and retriever.loaded:
                b1.button(
                    "Unload",
                    key=f"retrieval_train.unload.{retriever.id}",
                    on_click=_act,
                    args=(f"Unloading {what}", client.unload_retriever, retriever.id),
                )
            elif ready:
                b1.button(
                    "Load",
                    key=f"retrieval_train.load.{retriever.id}",
                    on_click=_act,
                    args=(f"Loading {what}", client.load_retriever, retriever.id),
                )
            if retriever.is_default:
                return
            confirming = st.session_state.get(CONFIRM_REMOVE) == retriever.id
            if not confirming:
                b2.button(
                    "Remove…",
                    key=f"retrieval_train.remove.{retriever.id}",
                    on_click=lambda: st.session_state.update({CONFIRM_REMOVE: retriever.id}),
                )
        if confirming:
            st.warning(f"Remove {what}, its vectors and its files for good?")
            yes, no = st.columns([1, 4])
            yes.button(
                "Yes, remove it",
                key=f"retrieval_train.remove_yes.{retriever.id}",
                on_click=_act,
                args=(f"Removing {what}", client.remove_retriever, retriever.id),
            )
            no.button(
                "Cancel",
                key=f"retrieval_train.remove_no.{retriever.id}",
                on_click=lambda: st.session_state.update({CONFIRM_REMOVE: None}),
            )


def _act(action: str, fn: Callable[[str], object], retriever_id: str) -> None:
    """A button's callback: load, unload or remove; a failure is said above the list."""
    st.session_state[CONFIRM_REMOVE] = None
    try:
        fn(retriever_id)
    except ApiError as error:
        st.session_state[FLASH] = (action, error)
