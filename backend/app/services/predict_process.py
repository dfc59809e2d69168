"""A child process that runs the batches of scikit-learn models, driven from the event loop.

TF-IDF vectorising is pure Python and holds the GIL; in the server process it competes
with the event loop, which then reads, parses and answers requests more slowly. In a
child process it runs on another core, and the server only sends the texts and receives
labels and confidences.

The server talks to the child over a socket pair with asyncio streams, from the event
loop itself: no thread waits on the child. (A thread blocked on the pipe needs the GIL
back when the answer arrives, and a busy event loop hands it over only every switch
interval, 5 ms: at concurrency 32 that convoy, not the CPU, limited throughput.) Messages
are length-prefixed pickles; answers come back in the order the requests went out.

A model is sent once (pickled, in a thread) the first time it predicts here; when the
server lets go of the model object (unload, remove, reload), the child drops its copy at
the next call. Keras models stay in the server's threads (TensorFlow releases the GIL in
its kernels, and a second TensorFlow runtime would cost gigabytes).

If the child dies (killed, out of memory), the batches in flight run in a thread of the
server instead and the next batch starts a new child: requests never fail because of it.
A call the child has worked on for `call_timeout_s` (60 s) without answering fails with
503; the child is killed and replaced, and the calls queued behind it run in threads.
"""

import asyncio
import contextlib
import gc
import itertools
import logging
import multiprocessing
import pickle
import socket
import struct
import time
import weakref
from collections import deque
from collections.abc import Sequence
from multiprocessing.process import BaseProcess
from typing import Any

import sklearn

from app.core.errors import UnavailableError
from app.ml.bundle import TrainedModel
from app.ml.labels import Label

log = logging.getLogger(__name__)

Answers = tuple[list[Label], list[float]]
_LOAD, _DROP, _PREDICT = "load", "drop", "predict"
_LOCAL = 0  # the token of a model that cannot be pickled: it predicts in the server
_HEADER = struct.Struct("!Q")


class ChildGone(Exception):
    """The child process died or its socket closed while a call was in flight."""


class _Channel:
    """The server's end of the socket: framed writes, and a reader task that settles the
    callers' futures in order."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer
        self.waiting: deque[asyncio.Future[Any]] = deque()
        self.head_since = time.monotonic()  # when the oldest call in flight became the oldest
        self.alive = True
        self.task = asyncio.create_task(self._read_answers())

    def send(self, message: tuple[Any, ...]) -> None:
        if not self.alive:
            raise ChildGone("the prediction process is gone")
        payload = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
        self.writer.write(_HEADER.pack(len(payload)) + payload)

    async def submit(self, message: tuple[Any, ...]) -> "asyncio.Future[Any]":
        """Send a call; its answer settles the returned future."""
        self.send(message)
        future = asyncio.get_running_loop().create_future()
        if not self.waiting:
            self.head_since = time.monotonic()
        self.waiting.append(future)
        await self.drain()
        return future

    def stuck_on(self, future: "asyncio.Future[Any]", seconds: float) -> bool:
        """Whether the child has been working on this call (the oldest) for `seconds`."""
        head = self.waiting[0] if self.waiting else None
        return head is future and time.monotonic() - self.head_since >= seconds

    async def drain(self) -> None:
        """Wait while the socket's buffer is full. A broken socket is not an error here:
        the reader task sees it too and fails every call in flight with ChildGone."""
        with contextlib.suppress(ConnectionError):
            await self.writer.drain()

    async def _read_answers(self) -> None:
        try:
            while True:
                (size,) = _HEADER.unpack(await self.reader.readexactly(_HEADER.size))
                answer = pickle.loads(await self.reader.readexactly(size))
                future = self.waiting.popleft()
                self.head_since = time.monotonic()
                if not future.done():
                    future.set_result(answer)
        except (asyncio.IncompleteReadError, ConnectionError, OSError) as exc:
            self._fail(ChildGone(f"the prediction process is gone ({exc!r})"))
        except BaseException as exc:  # cancelled, or an answer that cannot be read
            self._fail(ChildGone(f"the prediction process channel broke ({exc!r})"))
            raise

    def _fail(self, error: Exception) -> None:
        self.alive = False
        while self.waiting:
            future = self.waiting.popleft()
            if not future.done():
                future.set_exception(error)
        self.writer.close()


class PredictProcess:
    def __init__(self, call_timeout_s: float = 60.0) -> None:
        self.call_timeout_s = call_timeout_s
        self._context = multiprocessing.get_context("spawn")
        self._process: BaseProcess | None = None
        self._socket: socket.socket | None = None
        self._channel: _Channel | None = None
        self._tokens: weakref.WeakKeyDictionary[TrainedModel, int] = weakref.WeakKeyDictionary()
        self._ids = itertools.count(1)
        self._dropped: list[int] = []  # appended by finalizers, from any thread
        self._opening = asyncio.Lock()  # one channel, however many first callers
        self._sending = asyncio.Lock()  # one copy of each model, however many first callers

    def start(self) -> None:
        """Start the child now (it imports scikit-learn), not at the first request."""
        if self._process is None:
            self._spawn()

    async def predict(self, model: TrainedModel, texts: Sequence[str]) -> Answers:
        channel = None
        try:
            channel = await self._ensure_channel()
            token = await self._token(channel, model)
            if token != _LOCAL:
                while self._dropped:
                    channel.send((_DROP, self._dropped.pop()))
                future = await channel.submit((_PREDICT, token, list(texts)))
                status, payload = await self._answer(channel, future)
                if status == "ok":
                    return payload
                if status == "error":
                    raise payload
        except ChildGone as exc:
            log.error("%s; this batch runs in the server, the next starts a new one", exc)
            self._reset_if_current(channel)
        except TimeoutError:
            log.error(
                "the prediction process gave no answer in %.0f s; restarting it",
                self.call_timeout_s,
            )
            self._reset_if_current(channel)  # the calls queued behind it run in threads
            raise UnavailableError(
                f"the prediction of {len(texts):,} texts took longer than "
                f"{self.call_timeout_s:.0f} s and was stopped; try again or send fewer texts"
            ) from None
        # the child died, or cannot hold this model
        return await asyncio.to_thread(model.predict, texts)

    def close(self) -> None:
        self._reset()

    async def _answer(self, channel: _Channel, future: "asyncio.Future[Any]") -> Any:
        """The call's answer; TimeoutError once the child has spent call_timeout_s on this
        very call (time queued behind other calls does not count)."""
        while True:
            try:
                return await asyncio.wait_for(asyncio.shield(future), self.call_timeout_s)
            except TimeoutError:
                if channel.stuck_on(future, self.call_timeout_s):
                    future.cancel()  # nobody waits for its answer any more
                    raise

    def _reset_if_current(self, channel: _Channel | None) -> None:
        """Reset after a failure on `channel`, unless a newer child already replaced it."""
        if channel is None or self._channel is channel:
            self._reset()

    async def _ensure_channel(self) -> _Channel:
        async with self._opening:
            if self._channel is None or not self._channel.alive:
                if self._channel is not None:
                    self._reset()
                if self._process is None or self._socket is None:
                    await asyncio.to_thread(self._spawn)
                assert self._socket is not None
                reader, writer = await asyncio.open_connection(sock=self._socket)
                self._channel = _Channel(reader, writer)
            return self._channel

    async def _token(self, channel: _Channel, model: TrainedModel) -> int:
        token = self._tokens.get(model)
        if token is not None:
            return token
        async with self._sending:  # concurrent first calls for one model send it once
            token = self._tokens.get(model)
            if token is None:
                token = self._tokens[model] = await self._send_model(channel, model)
        return token

    async def _send_model(self, channel: _Channel, model: TrainedModel) -> int:
        try:
            payload = await asyncio.to_thread(pickle.dumps, model, pickle.HIGHEST_PROTOCOL)
        except Exception as exc:
            log.warning("model cannot go to the prediction process (%s); it runs here", exc)
            return _LOCAL
        token = next(self._ids)
        channel.send((_LOAD, token, payload))
        await channel.drain()
        weakref.finalize(model, self._dropped.append, token)
        return token

    def _spawn(self) -> None:
        parent, child = socket.socketpair()
        process = self._context.Process(
            target=serve, args=(child,), name="textclf-predict", daemon=True
        )
        process.start()
        child.close()
        self._process, self._socket = process, parent
        self._tokens = weakref.WeakKeyDictionary()  # a new child knows no model
        self._dropped.clear()

    def _reset(self) -> None:
        """Close the socket and end the child; the next call starts a new one."""
        sock, channel, process = self._socket, self._channel, self._process
        self._process = self._socket = self._channel = None
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)  # the child reads EOF now and returns
        if channel is not None:
            channel.alive = False
            with contextlib.suppress(RuntimeError):  # RuntimeError: its loop is closed
                channel.writer.close()  # closes the socket
                sock = None
        if sock is not None:
            sock.close()
        if process is not None:
            process.join(timeout=2)
            if process.is_alive():
                process.kill()
                process.join(timeout=2)


# --- the child ---------------------------------------------------------------------------


def serve(sock: socket.socket) -> None:
    """The child's loop: load, drop, predict, until the server closes the socket."""
    # Parameters were validated at fit time and TF-IDF values are always finite: skip both
    # checks on every call (about 0.2 ms of a 1-text call). This process only predicts.
    sklearn.set_config(assume_finite=True, skip_parameter_validation=True)
    models: dict[int, TrainedModel | None] = {}
    stream = sock.makefile("rb")
    while True:
        header = stream.read(_HEADER.size)
        if len(header) < _HEADER.size:
            return
        (size,) = _HEADER.unpack(header)
        message = pickle.loads(stream.read(size))
        if message[0] == _LOAD:
            models[message[1]] = _unpickle(message[2])
        elif message[0] == _DROP:
            models.pop(message[1], None)
        else:
            answer = pickle.dumps(_predict(models.get(message[1]), message[2]))
            try:
                sock.sendall(_HEADER.pack(len(answer)) + answer)
            except OSError:
                return


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
        with contextlib.suppress(Exception):
            pickle.dumps(exc)
            return "error", exc
        return "error", RuntimeError(f"{type(exc).__name__}: {exc}")
