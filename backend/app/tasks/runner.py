"""The process pools that run training jobs, and the thread that relays their progress.

pebble's ProcessPool can terminate a running job (cancel) and replaces a worker that died,
so one failed or killed job never takes the pool down.

Workers cost memory (pandas and scikit-learn in each), so they exist only while there is
training to do: a pool is started by the first job and retired after `idle_seconds`
without one. They are forked from a forkserver that imported the training libraries once
at start-up, so starting a pool costs milliseconds, not the seconds of a fresh import,
and no worker inherits the server's threads or models. Keras jobs run in a pool of their
own whose workers run one job each (pebble's max_tasks=1): TensorFlow leaves threads and
memory behind, so a worker that ran it is replaced before it runs anything else.
Workers are handed this process's pid and start time and exit within about a second of
it, even after a `kill -9` (`core.processes.exit_with`: their parent, the forkserver, may
outlive the server).
"""

import logging
import multiprocessing
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any

from pebble import ProcessPool

from app.core.errors import UnavailableError
from app.core.processes import ctrl_c_blocked, this_process
from app.ml.kinds import uses_tensorflow
from app.ml.training import TrainResult, TrainSpec
from app.registry.retries import first_line, is_unreachable
from app.tasks import worker

log = logging.getLogger(__name__)

EventHandler = Callable[[tuple[Any, ...]], None]
DoneHandler = Callable[[str, "Future[TrainResult]"], None]
CallDoneHandler = Callable[[str, "Future[Any]"], None]
_STOP = ("stop",)
# what the workers import before their first job, once, in the forkserver
PRELOAD = ["app.ml.sklearn_models"]


@dataclass
class _Lane:
    """One kind of worker: its pool (while there is work), its jobs, when it fell idle."""

    name: str
    max_tasks: int  # jobs a worker runs before pebble replaces it (0: no limit)
    pool: ProcessPool | None = None
    running: int = 0
    idle_since: float = field(default_factory=time.monotonic)


class TrainingRunner:
    def __init__(self, workers: int, on_event: EventHandler, *, idle_seconds: float) -> None:
        self._workers = workers
        self._on_event = on_event
        self._idle_seconds = idle_seconds
        self._context = multiprocessing.get_context("forkserver")
        self._context.set_forkserver_preload(PRELOAD)
        self._events = self._context.Queue()
        self._lanes = {"sklearn": _Lane("scikit-learn", 0), "keras": _Lane("Keras", 1)}
        self._futures: dict[str, Future[Any]] = {}
        # the start events the registry could not take: tried again before the task's next
        # event, so that a task whose start was lost still shows it running (with progress)
        self._unrecorded_starts: dict[str, tuple[Any, ...]] = {}
        self._lock = threading.Lock()
        self._stopped = threading.Event()
        self._threads: list[threading.Thread] = []

    def start(self) -> None:
        for target, name in (
            (self._relay, "task-events"),
            (self._retire_idle, "training-pools"),
            (self._start_forkserver, "forkserver-start"),
        ):
            thread = threading.Thread(target=target, name=name, daemon=True)
            thread.start()
            self._threads.append(thread)

    def submit(self, task_id: str, spec: TrainSpec, on_done: DoneHandler) -> "Future[TrainResult]":
        lane = self._lanes["keras" if uses_tensorflow(spec.kind) else "sklearn"]
        with self._lock:
            future = self._pool(lane).schedule(worker.run_fit, args=(task_id, spec))
            self._futures[task_id] = future
            lane.running += 1

        def done(fut: "Future[TrainResult]") -> None:
            self._job_ended(lane, task_id)
            if lane.max_tasks and not fut.cancelled():
                log.info(
                    "the worker that ran task %s is replaced before its next job "
                    "(%s training leaves threads and memory behind)",
                    task_id,
                    lane.name,
                )
            _end(task_id, fut, on_done)

        future.add_done_callback(done)
        return future

    def submit_call(
        self,
        task_id: str,
        function: Callable[..., Any],
        args: tuple[Any, ...],
        on_done: CallDoneHandler,
    ) -> "Future[Any]":
        """Run another module-level job (a retriever's fit) in the scikit-learn lane; it
        reports through the same events as a fit."""
        lane = self._lanes["sklearn"]
        with self._lock:
            future = self._pool(lane).schedule(function, args=args)
            self._futures[task_id] = future
            lane.running += 1

        def done(fut: "Future[Any]") -> None:
            self._job_ended(lane, task_id)
            _end(task_id, fut, on_done)

        future.add_done_callback(done)
        return future

    def _job_ended(self, lane: _Lane, task_id: str) -> None:
        with self._lock:
            self._futures.pop(task_id, None)
            self._unrecorded_starts.pop(task_id, None)
            lane.running -= 1
            if lane.running == 0:
                lane.idle_since = time.monotonic()

    def cancel(self, task_id: str) -> bool:
        """Stop a queued or running job; a running one's process is terminated."""
        with self._lock:
            future = self._futures.get(task_id)
        return future.cancel() if future is not None else False

    def task_ids(self) -> list[str]:
        """The tasks whose jobs are queued or running in this runner."""
        with self._lock:
            return list(self._futures)

    def check_reachable(self) -> None:
        """The local pools start on demand: a job can always be taken."""

    def pools_running(self) -> list[str]:
        """The lanes whose workers exist now (for tests and logs)."""
        with self._lock:
            return [name for name, lane in self._lanes.items() if lane.pool is not None]

    def stop(self) -> None:
        self._stopped.set()
        with self._lock:
            futures = list(self._futures.values())
        for future in futures:
            future.cancel()
        with self._lock:
            pools = [lane.pool for lane in self._lanes.values() if lane.pool is not None]
            for lane in self._lanes.values():
                lane.pool = None
        for pool in pools:
            pool.stop()
            pool.join(timeout=10)
        self._events.put(_STOP)
        for thread in self._threads:
            thread.join(timeout=5)

    def _pool(self, lane: _Lane) -> ProcessPool:
        """The lane's pool, started now if it has none (call with the lock held); none
        once the runner is stopped (the server shuts down)."""
        if self._stopped.is_set():
            raise UnavailableError("the server is shutting down")
        if lane.pool is not None and not lane.pool.active:
            log.warning("the %s training pool is broken; starting a new one", lane.name)
            lane.pool.stop()
            lane.pool = None
        if lane.pool is None:
            lane.pool = ProcessPool(
                max_workers=self._workers,
                max_tasks=lane.max_tasks,
                initializer=worker.init_worker,
                initargs=(self._events, this_process()),
                context=self._context,
            )
            log.info("started the %s training pool (%d workers)", lane.name, self._workers)
        return lane.pool

    def _retire_idle(self) -> None:
        while not self._stopped.wait(min(1.0, max(self._idle_seconds / 4, 0.05))):
            retired = []
            with self._lock:
                now = time.monotonic()
                for lane in self._lanes.values():
                    idle = now - lane.idle_since
                    if lane.pool is not None and not lane.running and idle >= self._idle_seconds:
                        retired.append((lane, lane.pool))
                        lane.pool = None
            for lane, pool in retired:
                log.info(
                    "retiring the %s training pool after %.0fs without a job (its workers "
                    "hold memory; the next fit starts a new one)",
                    lane.name,
                    self._idle_seconds,
                )
                pool.stop()
                pool.join(timeout=10)

    def _start_forkserver(self) -> None:
        """Start the forkserver (and its imports) now, so the first fit does not wait."""
        try:
            process = self._context.Process(target=worker.nothing)
            with ctrl_c_blocked():  # the forkserver's imports, and the workers it forks
                process.start()
            process.join()
        except Exception:
            log.exception("the forkserver could not be started ahead of the first fit")

    def _relay(self) -> None:
        while True:
            try:
                event = self._events.get()
            except (EOFError, OSError):
                return
            if event == _STOP:
                return
            task_id = event[1]
            with self._lock:
                start = self._unrecorded_starts.pop(task_id, None)
            if start is not None and not self._hand_on(start):
                self._unrecorded(start)
                continue  # its progress is only recorded once it is recorded running
            if not self._hand_on(event) and event[0] == "started":
                self._unrecorded(event)

    def _hand_on(self, event: tuple[Any, ...]) -> bool:
        """Give the event to the handler; False when the registry could not take it (the
        fit runs on, and its end is recorded once the registry answers)."""
        try:
            self._on_event(event)
        except Exception as exc:
            if not is_unreachable(exc):
                log.exception("handling task event %r failed", event[:2])
                return True  # not worth another try
            log.warning(
                "task %s: its %s was not recorded, the registry cannot be reached (%s)",
                event[1], event[0], first_line(exc),
            )  # fmt: skip
            return False
        return True

    def _unrecorded(self, start: tuple[Any, ...]) -> None:
        with self._lock:
            if start[1] in self._futures:  # not once its job has ended
                self._unrecorded_starts[start[1]] = start


def _end(task_id: str, future: "Future[Any]", on_done: CallDoneHandler) -> None:
    """Record the job's end (`on_done`). It waits for a registry that cannot be reached,
    unless the server is stopping: then the end is left to the next start's recovery."""
    try:
        on_done(task_id, future)
    except Exception as exc:
        if not is_unreachable(exc):
            log.exception("handling the end of task %s failed", task_id)
            return
        log.warning(
            "task %s: its end was not recorded, the registry cannot be reached as the server "
            "stops (%s); the next start records it as interrupted",
            task_id, first_line(exc),
        )  # fmt: skip
