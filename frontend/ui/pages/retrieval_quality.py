"""Quality: top-1, top-5 and MRR@10 over every question of a QA dataset, and the
questions whose own context did not come first."""

import time

import pandas as pd
import streamlit as st

from shared.schemas.retrieval import QualityResult, QualityTestRequest
from ui.api_client import ApiError
from ui.components.backend import call, call_or_stop, get_client, show_error
from ui.components.retrieval import choose_columns, choose_dataset, choose_retriever

POLL_S = 0.3
WAIT_S = 300


def render() -> None:
    st.title("Retrieval quality")
    retriever = choose_retriever("retrieval_quality.retriever")
    if retriever is None:
        return
    client = get_client()
    # the retriever's own data first: another dataset's contexts are not in its index
    dataset = choose_dataset(
        f"retrieval_quality.dataset.{retriever.id}", preferred_id=retriever.dataset_id
    )
    if dataset is not None:
        columns = choose_columns(dataset, "retrieval_quality.columns")
        if columns is not None and st.button(
            "Run the quality test", type="primary", key="retrieval_quality.run"
        ):
            request = QualityTestRequest(dataset_id=dataset.id, **columns.model_dump())
            accepted = call("Starting the test", client.start_quality_test, retriever.id, request)
            if accepted is not None:
                _follow(accepted.task_id)
    try:
        result = client.last_quality(retriever.id)
    except ApiError as error:
        if error.status == 404:
            st.caption("No quality test of this retriever yet.")
            return
        show_error("Reading the last test", error)
        return
    took = f"{result.seconds:.1f} s" if result.seconds >= 1 else f"{result.seconds * 1000:.0f} ms"
    datasets = {d.id: d.name for d in call("Listing the datasets", client.list_datasets) or []}
    tested = datasets.get(result.dataset_id, "a deleted dataset")
    st.subheader(f"Last test: {result.questions:,} questions of {tested} in {took}")
    missing = result.contexts_missing
    if missing == result.questions:
        st.warning(
            f"None of {tested}'s contexts is in this retriever (it was fitted on "
            f"{retriever.dataset_name or 'other data'}): every question fails, and the "
            "figures say nothing of it. Test it on the data it was fitted on.",
            icon=":material/warning:",
        )
    elif missing:
        st.caption(
            f"{missing:,} of the questions have a context this retriever does not hold: "
            "they count as misses."
        )
    a, b, c = st.columns(3)
    a.metric("top-1", f"{result.top1:.3f}")
    b.metric("top-5", f"{result.top5:.3f}")
    c.metric("MRR@10", f"{result.mrr10:.3f}")
    if result.failed:
        failed_table(result)


def failed_table(result: QualityResult) -> None:
    """The questions whose own context was not first, with where it came."""
    # the result keeps the first FAILED_SHOWN of them
    failed = result.questions - round(result.top1 * result.questions)
    shown = len(result.failed)
    st.subheader(
        "Questions whose context was not first"
        + (f": the first {shown:,} of {failed:,}" if failed > shown else "")
    )
    rows = pd.DataFrame(
        {
            "question": [f.question for f in result.failed],
            # a number, sortable as one; not in the top 10: empty, shown "> 10"
            "rank of its context": pd.array([f.rank for f in result.failed], dtype="Int64"),
            "first context": [f.first_context[:300] for f in result.failed],
            "its context": [f.expected_context[:300] for f in result.failed],
        }
    )
    st.dataframe(
        rows,
        hide_index=True,
        key="retrieval_quality.failed",
        placeholder="> 10",
        column_config={
            "rank of its context": st.column_config.NumberColumn(
                help="Where its own context came among the results; > 10: not in the first ten."
            )
        },
    )


def _follow(task_id: str) -> None:
    client = get_client()
    bar = st.progress(0.0, text="starting")
    deadline = time.monotonic() + WAIT_S
    task = call_or_stop("Following the test", client.get_task, task_id)
    while not task.status.is_finished and time.monotonic() < deadline:
        bar.progress(task.progress, text=task.message)
        time.sleep(POLL_S)
        task = call_or_stop("Following the test", client.get_task, task_id)
    bar.progress(task.progress, text=task.message)
    if task.error:
        st.error(task.error)
