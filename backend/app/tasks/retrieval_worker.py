"""The retriever fit a training worker runs: it reports like a classifier fit
(("started", task_id, pid), then its progress, through `worker.reporter`), and writes the
retriever's folder and vectors only while it holds the folder's lock (`ownership`), so a
cancelled fit leaves nothing behind."""

import os
from pathlib import Path

from app.ml.retrieval.fitting import RetrieverFitResult, RetrieverSpec, fit_retriever
from app.tasks import ownership, worker


def run_retriever_fit(task_id: str, spec: RetrieverSpec) -> RetrieverFitResult:
    with ownership.writing_rights(Path(spec.folder)) as allowed:
        if not allowed:  # cancelled before a worker took it: its result is never read
            raise RuntimeError("the task ended before it started")
        worker._send(("started", task_id, os.getpid()))
        return fit_retriever(spec, worker.reporter(task_id))
