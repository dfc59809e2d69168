"""Module-level functions that run inside the worker processes.

A worker reports to the server through one multiprocessing queue, handed over when the
process starts: ("started", task_id, pid) and ("progress", task_id, fraction, message,
seconds_left), the last an estimate at the recent pace or None (`ml.progress.Pace`).
A fit writes its bundle only while it holds the bundle's lock (`ownership`).
"""

import os
import signal
import time
from multiprocessing.queues import Queue
from pathlib import Path
from typing import Any

from app.core.processes import ProcessId, die_with_parent, exit_with
from app.ml.incremental import continue_training
from app.ml.progress import Pace, ProgressFn
from app.ml.training import TrainResult, TrainSpec, train_model
from app.ml.training_data import TrainingError
from app.tasks import ownership

_events: "Queue[tuple[Any, ...]] | None" = None
_PROGRESS_INTERVAL_S = 0.25


def init_worker(events: "Queue[tuple[Any, ...]]", server: ProcessId) -> None:
    """`server` is the process the worker works for (the API server, or the Dask worker):
    the worker exits within about a second of it, so an orphaned job never writes a model
    the registry does not know (`core.processes`)."""
    global _events
    _events = events
    # A terminal's Ctrl-C reaches the whole process group: the server ends the running
    # fits as it shuts down (saying so); a KeyboardInterrupt here would end one first.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    die_with_parent()
    exit_with(server)  # the parent is a forkserver, which may outlive the server
    # Below the server's priority: a model training on every core must not take the CPU
    # from the event loop and the prediction process (their p99), only their idle time.
    os.nice(10)
    # Training imports pandas and scikit-learn; pay for that now, not in the first job.
    import app.ml.sklearn_models  # noqa: F401


def nothing() -> None:
    """A job that does nothing: starting it starts the forkserver and its imports."""


def _send(event: tuple[Any, ...]) -> None:
    if _events is not None:
        _events.put(event)


def run_fit(task_id: str, spec: TrainSpec) -> TrainResult:
    with ownership.writing_rights(Path(spec.artifact_path)) as allowed:
        if not allowed:  # cancelled before a worker took it: its result is never read
            raise TrainingError("the task ended before it started")
        return _fit(task_id, spec)


def reporter(task_id: str) -> ProgressFn:
    """The progress function of a job: its reports, at most one every
    _PROGRESS_INTERVAL_S (and the last), each with the time left at the recent pace."""
    last_sent = 0.0
    pace = Pace()

    def progress(fraction: float, message: str) -> None:
        nonlocal last_sent
        now = time.monotonic()
        if now - last_sent >= _PROGRESS_INTERVAL_S or fraction >= 1.0:
            last_sent = now
            left = pace.seconds_left(fraction)
            _send(("progress", task_id, float(fraction), message, left))

    return progress


def _fit(task_id: str, spec: TrainSpec) -> TrainResult:
    _send(("started", task_id, os.getpid()))
    progress = reporter(task_id)
    if spec.parent_artifact_path is not None:
        return continue_training(spec, progress)
    return train_model(spec, progress)
