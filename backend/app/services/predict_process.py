"""A child process that runs the batches of scikit-learn models, driven from the event loop.

TF-IDF vectorising is pure Python and holds the GIL; in the server process it competes
with the event loop, which then reads, parses and answers requests more slowly. In a
child process it runs on another core, and the server only sends the texts and receives
their predictions.

The server talks to the child (`predict_child.py`) over a socket pair with asyncio
streams, from the event loop itself: no thread waits on the child. (A thread blocked on
the pipe needs the GIL back when the answer arrives, and a busy event loop hands it over
only every switch interval, 5 ms: at concurrency 32 that convoy, not the CPU, limited
throughput.) Answers come back in the order the requests went out.

A model is sent once (pickled, in a thread) the first time it predicts here; when the
server lets go of the model object (unload, remove, reload), the child drops its copy at
the next call. Keras models stay in the server's threads (TensorFlow releases the GIL in
its kernels, and a second TensorFlow runtime would cost gigabytes).

Fallbacks, each logged with its reason: a model that cannot be pickled, or that the child
cannot unpickle, predicts in a server thread. If the child dies (killed, out of memory),
the batches in flight run in server threads and the next batch starts a new child:
requests never fail because of it. A call the child has worked on for `call_timeout_s`
(60 s) without answering fails with 503; the child is killed and replaced, and the calls
queued behind it run in threads. A failed child is killed and reaped in a thread, never
waited for on the event loop.
"""

import asyncio
import contextlib
import itertools
import logging
import multiprocessing
import pickle
import socket
import threading
import time
import weakref
from collections import deque
from collections.abc import Sequence
from multiprocessing.process import BaseProcess
from typing import Any

from app.core.errors import UnavailableError
from app.core.processes import ctrl_c_blocked
from app.ml.bundle import Predictions, TrainedModel
from app.services.predict_child import DROP, HEADER, LOAD, PREDICT, frame, serve

log = logging.getLogger(__name__)

Answers = Predictions
_LOCAL = 0  # the token of a model that predicts in the server (the child cannot hold it)
_GRACE_S = 2.0  # at shutdown, how long the child may take to see EOF and return


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
        self.writer.write(frame(message))

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
                (size,) = HEADER.unpack(await self.reader.readexactly(HEADER.size))
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
                    channel.send((DROP, self._dropped.pop()))
                future = await channel.submit((PREDICT, token, list(texts)))
                status, payload = await self._answer(channel, future)
                if status == "ok":
                    return payload
                if status == "error":
                    raise payload
                self._predict_here(model, payload)  # "fallback": the child cannot hold it
        except ChildGone as exc:
            log.warning("%s; this batch predicts in a server thread", exc)
            self._restart_if_current(channel, str(exc))
        except TimeoutError:
            reason = f"it gave no answer in {self.call_timeout_s:.0f} s"
            self._restart_if_current(channel, reason)  # the calls queued behind it: threads
            raise UnavailableError(
                f"the prediction of {len(texts):,} texts took longer than "
                f"{self.call_timeout_s:.0f} s and was stopped; try again or send fewer texts"
            ) from None
        return await asyncio.to_thread(model.predict, texts)

    def close(self) -> None:
        """At shutdown: close the socket and wait (briefly) for the child to return, so it
        never outlives the server. Failures mid-service end the child without waiting."""
        process = self._detach()
        if process is not None:
            _end(process, grace_s=_GRACE_S)

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

    def _restart_if_current(self, channel: _Channel | None, reason: str) -> None:
        """After a failure on `channel`, end its child; the next call starts a new one.
        Nothing to do when a newer child already replaced it."""
        if channel is not None and self._channel is not channel:
            return
        process = self._detach()
        if process is None:
            return
        log.warning("restarting the prediction process: %s", reason)
        with contextlib.suppress(OSError):
            process.kill()  # a signal: it does not wait
        # reaping waits for the exit: in a thread, never on the event loop
        threading.Thread(target=_end, args=(process, 0.0), name="textclf-reap", daemon=True).start()

    async def _ensure_channel(self) -> _Channel:
        async with self._opening:
            if self._channel is None or not self._channel.alive:
                if self._channel is not None:
                    self._restart_if_current(self._channel, "its socket closed")
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
            log.warning(
                "a model predicts in a server thread, not in the prediction process: it "
                "cannot be pickled (%s: %s)",
                type(exc).__name__,
                exc,
            )
            return _LOCAL
        token = next(self._ids)
        channel.send((LOAD, token, payload))
        await channel.drain()
        weakref.finalize(model, self._dropped.append, token)
        return token

    def _spawn(self) -> None:
        parent, child = socket.socketpair()
        process = self._context.Process(
            target=serve, args=(child,), name="textclf-predict", daemon=True
        )
        with ctrl_c_blocked():  # its imports
            process.start()
        child.close()
        self._process, self._socket = process, parent
        self._tokens = weakref.WeakKeyDictionary()  # a new child knows no model
        self._dropped.clear()

    def _predict_here(self, model: TrainedModel, reason: str) -> None:
        """From now on `model` predicts in server threads (the child said why it cannot)."""
        if self._tokens.get(model, _LOCAL) != _LOCAL:
            self._tokens[model] = _LOCAL
            log.warning(
                "a model predicts in a server thread, not in the prediction process: %s", reason
            )

    def _detach(self) -> BaseProcess | None:
        """Forget the child and close its socket (it reads EOF); return it, to be ended."""
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
        return process


def _end(process: BaseProcess, grace_s: float) -> None:
    """Give the child `grace_s` to return on its own, kill it if it has not, reap it."""
    process.join(timeout=grace_s)
    if process.is_alive():
        process.kill()
        process.join(timeout=5)
