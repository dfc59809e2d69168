"""The retriever fit a training worker runs: it reports like a classifier fit
(("started", task_id, pid), then ("progress", task_id, fraction, message))."""

import os

from app.ml.retrieval.fitting import RetrieverFitResult, RetrieverSpec, fit_retriever
from app.tasks import worker


def run_retriever_fit(task_id: str, spec: RetrieverSpec) -> RetrieverFitResult:
    worker._send(("started", task_id, os.getpid()))

    def progress(fraction: float, message: str) -> None:
        worker._send(("progress", task_id, float(fraction), message))

    return fit_retriever(spec, progress)
