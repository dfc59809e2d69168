"""The function a Dask worker runs for one chunk of a large batch scoring (TASK_EXECUTOR=dask).

It is pure: the same bundle and texts give the same answer, so Dask may run it again on
another worker when the one running it dies. The worker reads the bundle itself from the
shared MODELS_DIR, checked by its sha256 as a replica checks it, and keeps the last few
it read (per worker process) for the chunks that follow.
"""

import logging
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np

from app.ml.artifacts import load_bundle
from app.ml.bundle import Predictions, TrainedModel

log = logging.getLogger(__name__)

# what a chunk asks of the model: predict (label, confidence, probabilities, known
# tokens), or only the probabilities of raw or already cleaned texts
Scoring = Literal["predict", "proba", "proba_cleaned"]
# the Dask event topic each scored chunk is recorded under (Client.get_events)
EVENT_TOPIC = "score_chunk"
CACHED_BUNDLES = 4


@dataclass(frozen=True)
class ChunkAnswer:
    """A chunk's raw answer, and the seconds the model took to give it."""

    answer: Predictions | np.ndarray
    seconds: float


_bundles: "OrderedDict[tuple[str, str], TrainedModel]" = OrderedDict()
_lock = threading.Lock()


def scored(model: TrainedModel, scoring: Scoring, texts: list[str]) -> Predictions | np.ndarray:
    """The model's raw answer for the texts: here, in a replica, or on a Dask worker."""
    if scoring == "predict":
        return model.predict(texts)
    if scoring == "proba":
        return model.predict_proba(texts)
    return model.predict_proba_cleaned(texts)


def timed(model: TrainedModel, scoring: Scoring, texts: list[str]) -> ChunkAnswer:
    started = time.perf_counter()
    answer = scored(model, scoring, texts)
    return ChunkAnswer(answer, time.perf_counter() - started)


def score_chunk(bundle_path: str, sha256: str, scoring: Scoring, texts: list[str]) -> ChunkAnswer:
    """On a Dask worker: the model of the bundle at `bundle_path` run on one chunk."""
    answer = timed(_bundle(bundle_path, sha256), scoring, texts)
    _record(bundle_path, len(texts), answer.seconds)
    return answer


def _bundle(path: str, sha256: str) -> TrainedModel:
    """The bundle, read once per worker process (the last CACHED_BUNDLES of them kept)."""
    key = (path, sha256)
    with _lock:  # one read per bundle, however many threads the worker has
        model = _bundles.get(key)
        if model is None:
            model = load_bundle(Path(path), expected_sha256=sha256)
            log.info("bundle %s read for batch scoring", Path(path).name)
            _bundles[key] = model
        _bundles.move_to_end(key)
        while len(_bundles) > CACHED_BUNDLES:
            _bundles.popitem(last=False)
        return model


def _record(path: str, rows: int, seconds: float) -> None:
    """One event per chunk on the scheduler: which worker scored how many rows of what."""
    try:
        from distributed import get_worker

        worker = get_worker()
    except ValueError:  # not on a Dask worker (called directly)
        return
    worker.log_event(
        EVENT_TOPIC,
        {"worker": worker.address, "bundle": Path(path).name, "rows": rows, "seconds": seconds},
    )
