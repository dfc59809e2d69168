"""A child process that runs the batches of scikit-learn models.

TF-IDF vectorising is pure Python and holds the GIL; in the server process it competes
with the event loop, which then reads, parses and answers requests more slowly. In a
child process it runs on another core, and the server only sends the texts and receives
labels and confidences. A model is sent once (pickled) the first time it predicts here;
when the server lets go of the model object (unload, remove, reload), the child drops
its copy at the next call. Keras models stay in the server's threads (TensorFlow
releases the GIL in its kernels, and a second TensorFlow runtime would cost gigabytes).

If the child dies (killed, out of memory), the batch runs in the calling thread instead
and the next batch starts a new child: requests never fail because of it.
"""

import gc
import itertools
import logging
import multiprocessing
import pickle
import threading
import weakref
from collections.abc import Sequence
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import Any

from app.ml.bundle import TrainedModel
from app.ml.labels import Label

log = logging.getLogger(__name__)

Answers = tuple[list[Label], list[float]]
_LOAD, _DROP, _PREDICT = "load", "drop", "predict"
_LOCAL = 0  # the token of a model that cannot be pickled: it predicts in the server


class PredictProcess:
    def __init__(self) -> None:
        self._context = multiprocessing.get_context("spawn")
        self._lock = threading.Lock()
        self._conn: Connection | None = None
        self._process: BaseProcess | None = None
        self._tokens: weakref.WeakKeyDictionary[TrainedModel, int] = weakref.WeakKeyDictionary()
        self._ids = itertools.count(1)
        self._dropped: list[int] = []

    def start(self) -> None:
        """Start the child now (it imports scikit-learn), not at the first request."""
        with self._lock:
            self._ensure_started()

    def predict(self, model: TrainedModel, texts: Sequence[str]) -> Answers:
        with self._lock:
            try:
                status, payload = self._call(model, texts)
            except (EOFError, OSError) as exc:
                log.error("the prediction process died (%s); starting a new one", exc)
                self._reset()
                status, payload = "fallback", None
        if status == "ok":
            return payload
        if status == "error":
            raise payload
        return model.predict(texts)  # the child died, or cannot hold this model

    def close(self) -> None:
        with self._lock:
            self._reset()

    def _call(self, model: TrainedModel, texts: Sequence[str]) -> tuple[str, Any]:
        conn = self._ensure_started()
        while self._dropped:
            conn.send((_DROP, self._dropped.pop()))
        token = self._tokens.get(model)
        if token is None:
            token = self._tokens[model] = self._send_model(conn, model)
        if token == _LOCAL:
            return "fallback", None
        conn.send((_PREDICT, token, list(texts)))
        return conn.recv()

    def _send_model(self, conn: Connection, model: TrainedModel) -> int:
        try:
            payload = pickle.dumps(model, protocol=pickle.HIGHEST_PROTOCOL)
        except Exception as exc:
            log.warning("model cannot go to the prediction process (%s); it runs here", exc)
            return _LOCAL
        token = next(self._ids)
        conn.send((_LOAD, token, payload))
        weakref.finalize(model, self._dropped.append, token)
        return token

    def _ensure_started(self) -> Connection:
        if self._conn is None:
            parent, child = self._context.Pipe()
            process = self._context.Process(
                target=serve, args=(child,), name="textclf-predict", daemon=True
            )
            process.start()
            child.close()
            self._conn, self._process = parent, process
            self._tokens = weakref.WeakKeyDictionary()  # a new child knows no model
            self._dropped.clear()
        return self._conn

    def _reset(self) -> None:
        if self._conn is not None:
            self._conn.close()
        if self._process is not None:
            self._process.join(timeout=2)
            if self._process.is_alive():
                self._process.kill()
                self._process.join(timeout=2)
        self._conn = self._process = None


def serve(conn: Connection) -> None:
    """The child's loop: load, drop, predict, until the server closes the pipe."""
    models: dict[int, TrainedModel] = {}
    while True:
        try:
            message = conn.recv()
        except (EOFError, OSError):
            return
        if message[0] == _LOAD:
            models[message[1]] = _unpickle(message[2])
        elif message[0] == _DROP:
            models.pop(message[1], None)
        else:
            conn.send(_predict(models.get(message[1]), message[2]))


def _unpickle(payload: bytes) -> TrainedModel | None:
    try:
        model = pickle.loads(payload)
    except Exception:
        return None  # its predictions then run in the server (answer "fallback")
    gc.collect()
    gc.freeze()  # the model lives long: keep it out of the collector's full passes
    return model


def _predict(model: TrainedModel | None, texts: list[str]) -> tuple[str, Any]:
    if model is None:
        return "fallback", None
    try:
        return "ok", model.predict(texts)
    except Exception as exc:
        try:
            pickle.dumps(exc)
        except Exception:
            exc = RuntimeError(f"{type(exc).__name__}: {exc}")
        return "error", exc
