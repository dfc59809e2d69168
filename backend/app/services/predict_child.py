"""The prediction child's side: its loop, and the messages it and the server exchange.

Messages are length-prefixed pickles over a socket: (LOAD, token, pickled model),
(DROP, token) and (PREDICT, token, texts). Each PREDICT gets one answer, in order:
("ok", Predictions), ("error", exception) or ("fallback", reason) when this
process holds no usable copy of the model, so the server predicts it itself.
"""

import contextlib
import gc
import pickle
import signal
import socket
import struct
from typing import Any

import sklearn

from app.ml.bundle import TrainedModel

LOAD, DROP, PREDICT = "load", "drop", "predict"
HEADER = struct.Struct("!Q")


def frame(message: object) -> bytes:
    payload = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    return HEADER.pack(len(payload)) + payload


def serve(sock: socket.socket) -> None:
    """The child's loop: load, drop, predict, until the server closes the socket."""
    # A terminal's Ctrl-C reaches the whole process group: the server ends this process as
    # it shuts down (EOF on the socket); its own KeyboardInterrupt would only print a trace.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # Parameters were validated at fit time and TF-IDF values are always finite: skip both
    # checks on every call (about 0.2 ms of a 1-text call). This process only predicts.
    sklearn.set_config(assume_finite=True, skip_parameter_validation=True)
    models: dict[int, TrainedModel | str] = {}  # a str: why the model could not be loaded
    stream = sock.makefile("rb")
    while True:
        header = stream.read(HEADER.size)
        if len(header) < HEADER.size:
            return
        (size,) = HEADER.unpack(header)
        message = pickle.loads(stream.read(size))
        if message[0] == LOAD:
            models[message[1]] = _unpickle(message[2])
        elif message[0] == DROP:
            models.pop(message[1], None)
        else:
            model = models.get(message[1], "the prediction process does not hold this model")
            try:
                sock.sendall(frame(_predict(model, message[2])))
            except OSError:
                return


def _unpickle(payload: bytes) -> TrainedModel | str:
    try:
        model = pickle.loads(payload)
    except Exception as exc:
        return f"it cannot be unpickled there: {type(exc).__name__}: {exc}"
    gc.collect()
    gc.freeze()  # the model lives long: keep it out of the collector's full passes
    return model


def _predict(model: TrainedModel | str, texts: list[str]) -> tuple[str, Any]:
    if isinstance(model, str):
        return "fallback", model
    try:
        return "ok", model.predict(texts)
    except Exception as exc:
        with contextlib.suppress(Exception):
            pickle.dumps(exc)
            return "error", exc
        return "error", RuntimeError(f"{type(exc).__name__}: {exc}")
