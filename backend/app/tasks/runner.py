"""The process pool that runs training jobs, and the thread that relays their progress.

pebble's ProcessPool can terminate a running job (cancel) and replaces a worker that died,
so one failed or killed job never takes the pool down.
"""

import logging
import multiprocessing
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

from pebble import ProcessPool

from app.ml.training import TrainSpec
from app.tasks import worker

log = logging.getLogger(__name__)

EventHandler = Callable[[tuple[Any, ...]], None]
DoneHandler = Callable[[str, Future], None]
_STOP = ("stop",)


class TrainingRunner:
    def __init__(self, workers: int, on_event: EventHandler) -> None:
        self._workers = workers
        self._on_event = on_event
        self._context = multiprocessing.get_context("spawn")
        self._events = self._context.Queue()
        self._pool: ProcessPool | None = None
        self._listener: threading.Thread | None = None
        self._futures: dict[str, Future] = {}
        self._lock = threading.Lock()

    def start(self) -> None:
        self._pool = ProcessPool(
            max_workers=self._workers,
            initializer=worker.init_worker,
            initargs=(self._events,),
            context=self._context,
        )
        self._listener = threading.Thread(target=self._relay, name="task-events", daemon=True)
        self._listener.start()
        self._pool.schedule(worker.warm_up)  # starts the workers now, not at the first fit

    def submit(self, task_id: str, spec: TrainSpec, on_done: DoneHandler) -> Future:
        assert self._pool is not None, "runner not started"
        future = self._pool.schedule(worker.run_fit, args=(task_id, spec))
        with self._lock:
            self._futures[task_id] = future

        def done(fut: Future) -> None:
            with self._lock:
                self._futures.pop(task_id, None)
            try:
                on_done(task_id, fut)
            except Exception:
                log.exception("handling the end of task %s failed", task_id)

        future.add_done_callback(done)
        return future

    def cancel(self, task_id: str) -> bool:
        """Stop a queued or running job; a running one's process is terminated."""
        with self._lock:
            future = self._futures.get(task_id)
        return future.cancel() if future is not None else False

    def future(self, task_id: str) -> Future | None:
        with self._lock:
            return self._futures.get(task_id)

    @property
    def active_jobs(self) -> int:
        with self._lock:
            return len(self._futures)

    def stop(self) -> None:
        with self._lock:
            futures = list(self._futures.values())
        for future in futures:
            future.cancel()
        if self._pool is not None:
            self._pool.stop()
            self._pool.join(timeout=10)
        self._events.put(_STOP)
        if self._listener is not None:
            self._listener.join(timeout=5)

    def _relay(self) -> None:
        while True:
            try:
                event = self._events.get()
            except (EOFError, OSError):
                return
            if event == _STOP:
                return
            try:
                self._on_event(event)
            except Exception:
                log.exception("handling task event %r failed", event[:2])
