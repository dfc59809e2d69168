"""Training jobs on the workers of a Dask cluster (TASK_EXECUTOR=dask), in place of the
local pools of `runner.TrainingRunner`, with the same interface.

A job is a Dask task keyed by its task id (`dask_job.run_on_dask`): it gets the
DATABASE_URL and absolute paths on the shared MODELS_DIR / DATASETS_DIR / RETRIEVERS_DIR,
runs the fit in a child process on a worker, and writes "started" and the progress into
the registry itself. Its end comes back here, in the Dask future's done callback, as a
`concurrent.futures.Future` for the service's own (`FitEndings.finished`,
`RetrieverFits._finished`: the same path as the local pool), so the registry records the
end once, from the replica that queued the job.

- cancel: the service ends the task in the registry first (its conditional update), then
  calls `cancel` here, which cancels the Dask future: a queued task never starts, and a
  running one's worker sees the task ended within `dask_job.POLL_S` and terminates its
  child, which drops the bundle's lock so that `ownership.discard` can remove the files.
- a worker that dies mid-fit (even SIGKILL): its child dies with it, and the scheduler runs
  the task again on another worker, up to `distributed.scheduler.allowed-failures` times
  (3 by default); after that the task fails with "the Dask worker running this fit died".
- shutdown: the replica's running jobs end as "interrupted", as with the local pool (it
  is the replica that records their end); their workers stop the children.
- the replica that queued a job dies (no shutdown): nobody would record the job's end, so
  once the replica has stopped beating another ends its task as failed
  (`services/heartbeats.py`); the worker sees the task ended within `dask_job.POLL_S` and
  terminates its child, as for a cancel. A job is never handed to another replica.
"""

import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any

from distributed import Future as DaskFuture
from distributed import KilledWorker

from app.ml.training import TrainResult, TrainSpec
from app.ml.training_data import TrainingError
from app.tasks import dask_client, dask_job, worker
from app.tasks.executor import DoneHandler

log = logging.getLogger(__name__)


@dataclass
class _Job:
    dask_future: "DaskFuture[Any]"
    future: "Future[Any]"
    on_done: Callable[[str, "Future[Any]"], None]


class DaskRunner:
    def __init__(self, scheduler_address: str, database_url: str) -> None:
        self._address = scheduler_address
        self._database_url = database_url
        self._jobs: dict[str, _Job] = {}
        self._lock = threading.Lock()

    def start(self) -> None:
        """Nothing to start: the client connects at the first job, so a replica whose
        scheduler is down starts and serves predictions (its fits get a 503)."""

    def check_reachable(self) -> None:
        dask_client.dask_client(self._address)  # SchedulerUnreachableError if down

    def submit(self, task_id: str, spec: TrainSpec, on_done: DoneHandler) -> "Future[TrainResult]":
        return self.submit_call(task_id, worker.run_fit, (task_id, spec), on_done)

    def submit_call(
        self,
        task_id: str,
        function: Callable[..., Any],
        args: tuple[Any, ...],
        on_done: Callable[[str, "Future[Any]"], None],
    ) -> "Future[Any]":
        client = dask_client.dask_client(self._address)  # SchedulerUnreachableError if down
        dask_future = client.submit(
            dask_job.run_on_dask,
            task_id,
            function,
            args,
            self._database_url,
            key=task_id,
            pure=False,
        )
        future: Future[Any] = Future()
        with self._lock:
            self._jobs[task_id] = _Job(dask_future, future, on_done)
        dask_future.add_done_callback(lambda done: self._ended(task_id, done))
        return future

    def cancel(self, task_id: str) -> bool:
        with self._lock:
            job = self._jobs.get(task_id)
        if job is None:
            return False
        try:
            job.dask_future.cancel()
        except Exception:  # the scheduler is gone: the worker still sees the registry
            log.warning("cancelling the Dask future of task %s failed", task_id, exc_info=True)
        return True

    def task_ids(self) -> list[str]:
        with self._lock:
            return list(self._jobs)

    def pools_running(self) -> list[str]:
        """The Dask workers connected to the scheduler (none before the first job)."""
        with self._lock:
            connected = bool(self._jobs)
        if not connected:
            return []
        client = dask_client.dask_client(self._address)
        return sorted(client.scheduler_info().get("workers", {}))

    def stop(self) -> None:
        """The jobs this replica queued end now as interrupted: it records their end."""
        with self._lock:
            jobs, self._jobs = dict(self._jobs), {}
        for task_id, job in jobs.items():
            try:
                job.dask_future.cancel()
            except Exception:
                log.debug("cancelling the Dask future of task %s failed", task_id, exc_info=True)
            job.future.cancel()
            self._deliver(task_id, job)

    def _ended(self, task_id: str, done: "DaskFuture[Any]") -> None:
        """The Dask future's done callback (a thread of the client)."""
        with self._lock:
            job = self._jobs.pop(task_id, None)
        if job is None:  # delivered already (stop)
            return
        try:
            if done.status == "finished":
                job.future.set_result(done.result())
            elif done.status == "cancelled":
                job.future.cancel()
            else:
                job.future.set_exception(_explained(done.exception()))
        except Exception as exc:  # the client lost the result (the scheduler went away)
            if not job.future.done():
                job.future.set_exception(
                    TrainingError(f"the result of the Dask task could not be read: {exc}")
                )
        self._deliver(task_id, job)

    @staticmethod
    def _deliver(task_id: str, job: _Job) -> None:
        try:
            job.on_done(task_id, job.future)
        except Exception:
            log.exception("handling the end of task %s failed", task_id)


def _explained(exc: BaseException | None) -> BaseException:
    if isinstance(exc, KilledWorker):
        last = getattr(exc.last_worker, "address", exc.last_worker)
        return TrainingError(
            "the Dask worker running this fit died (killed, or out of memory) on each of "
            f"{exc.allowed_failures + 1} tries, the last on {last}; check the Dask workers' "
            "logs and memory limits, then start the fit again"
        )
    return exc if exc is not None else TrainingError("the Dask task ended without a result")
