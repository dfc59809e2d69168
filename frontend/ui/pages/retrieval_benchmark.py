"""Benchmark: a retriever's search latency over random questions of a QA dataset."""

import plotly.express as px
import streamlit as st

from shared.schemas.retrieval import BenchmarkRequest
from ui import state
from ui.components.backend import call, get_client
from ui.components.retrieval import choose_columns, choose_dataset, choose_retriever


def render() -> None:
    st.title("Retrieval latency")
    retriever = choose_retriever("retrieval_benchmark.retriever")
    chosen = state.selection()  # the dataset selected on Upload (its link), when it is QA data
    dataset = choose_dataset("retrieval_benchmark.dataset", chosen.dataset_id if chosen else None)
    if retriever is None or dataset is None:
        return
    columns = choose_columns(dataset, "retrieval_benchmark.columns")
    if columns is None:
        return
    n = st.number_input(
        "Questions",
        1,
        10_000,
        100,
        key="retrieval_benchmark.n",
        help="Drawn at random from the dataset's questions, with replacement (a dataset of "
        "fewer repeats some), the same draw at each run: runs compare like with like.",
    )
    if not st.button("Run the benchmark", type="primary", key="retrieval_benchmark.run"):
        return
    request = BenchmarkRequest(dataset_id=dataset.id, n_questions=int(n), **columns.model_dump())
    result = call("Benchmarking", get_client().benchmark_retriever, retriever.id, request)
    if result is None:
        return
    stats = result.stats
    cells = st.columns(5)
    for cell, (label, value) in zip(
        cells,
        [
            ("p50", stats.p50_ms),
            ("p95", stats.p95_ms),
            ("p99", stats.p99_ms),
            ("mean", stats.mean_ms),
            ("max", stats.max_ms),
        ],
        strict=True,
    ):
        cell.metric(f"{label} (ms)", f"{value:.2f}")
    figure = px.histogram(
        x=result.latencies_ms, nbins=40, labels={"x": "latency (ms)"}, title="Latency distribution"
    )
    figure.update_layout(yaxis_title="questions", showlegend=False)
    st.plotly_chart(figure, key="retrieval_benchmark.histogram")
