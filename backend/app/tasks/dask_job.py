"""What a Dask worker runs for a fit or a retriever's fit (TASK_EXECUTOR=dask).

The Dask task does not train in its own thread: a thread cannot be stopped. It starts a
child process (forkserver, with the training libraries imported once per worker) that
runs the very job the local pool runs (`worker.run_fit`, `retrieval_worker.run_retriever_fit`,
so the bundle's `ownership` lock is held by the process that writes it), and follows it:

- the child's ("started", ...) and ("progress", ...) events go into the registry from
  here, with the conditional rules of `TrainingService.handle_event`; the task names this
  worker (`worker = "dask tcp://host:port"`);
- every POLL_S it reads the task's status in the registry: once someone has ended it (a
  cancel, a failure, the shutdown of the replica that queued it) the child is terminated,
  which drops its lock, so the replica's `ownership.discard` returns and removes the files;
- the child's result (or its error) is the Dask task's result. The end of the task is
  recorded by the replica that queued it, in its done callback (`FitEndings.finished`,
  `RetrieverFits._finished`), as for the local pool.

The child dies with this worker, even by SIGKILL (it watches the worker's pid and start
time, `core.processes.exit_with`; its parent, the forkserver, may outlive the worker while
the child runs, so `die_with_parent` alone would not do): a worker killed
mid-fit leaves no process writing files, its lock is dropped by the kernel, and the
scheduler runs the task again on another worker (see `dask_runner`).
"""

import logging
import multiprocessing
import pickle
import queue
import threading
import time
from collections.abc import Callable
from functools import partial
from multiprocessing.context import ForkServerProcess
from multiprocessing.queues import Queue
from typing import Any

from distributed import get_worker

from app.core.processes import ProcessId, ctrl_c_blocked, this_process
from app.ml.training_data import TrainingError
from app.registry.retries import first_line, is_unreachable, retrying
from app.registry.sql import SqlRegistry
from app.registry.tables import utcnow
from app.tasks import worker
from app.tasks.progress import progress_fields
from app.tasks.runner import PRELOAD
from shared.schemas import TaskStatus

log = logging.getLogger(__name__)

POLL_S = 0.5  # how often the task's status is read: a cancel stops the child within ~1 s
PROGRESS_INTERVAL_S = 0.25
# how long a Dask task waits for a registry that cannot be reached before it starts; then
# it fails, and the replica that queued it records the failure once the registry answers
WAIT_FOR_REGISTRY_S = 300.0
_registries: dict[str, SqlRegistry] = {}
_lock = threading.Lock()


DAEMON_WORKER = (
    "this Dask worker cannot start the child process a fit runs in: its nanny made it a "
    "daemon process; start the workers with DASK_DISTRIBUTED__WORKER__DAEMON=False in "
    "their environment (as `make cluster` and the compose file do), or with --no-nanny"
)


def run_on_dask(
    task_id: str, function: Callable[..., Any], args: tuple[Any, ...], database_url: str
) -> Any:
    """The Dask task: run `function(*args)` in a child process and follow it."""
    registry = _registry(database_url)
    here = f"dask {get_worker().address}"
    task = retrying(
        lambda: registry.get_task(task_id),
        what=f"reading task {task_id}",
        until=registry.stopping,
        give_up_after_s=WAIT_FOR_REGISTRY_S,
    )
    if task is None or task.status.is_finished:  # ended while it waited for a worker
        raise TrainingError("the task ended before it started")
    _require_children_allowed()
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(PRELOAD)
    events: Queue[tuple[Any, ...]] = context.Queue()
    child = context.Process(
        target=_child,
        args=(function, args, events, this_process()),
        name=f"fit-{task_id}",
        daemon=True,
    )
    child.start()
    try:
        return _follow(task_id, child, events, registry, here)
    finally:
        _stop(child)
        events.close()


def _follow(
    task_id: str,
    child: ForkServerProcess,
    events: "Queue[tuple[Any, ...]]",
    registry: SqlRegistry,
    here: str,
) -> Any:
    next_check = time.monotonic() + POLL_S
    last_progress = 0.0
    unrecorded_start: Callable[[], object] | None = None  # tried again before any progress
    while True:
        try:
            event = events.get(timeout=0.1)
        except queue.Empty:
            event = None
            if not child.is_alive():
                event = _last_word(events)
                if event is None:
                    raise TrainingError(
                        f"the training process died (exit code {child.exitcode}) on the Dask "
                        f"worker {here.removeprefix('dask ')}; it may have run out of memory"
                    ) from None
        if event is not None:
            kind = event[0]
            if kind == "result":
                return event[1]
            if kind == "error":
                raise event[1]
            if kind == "started":
                start = partial(_started, registry, task_id, here, event[2])
                if not _unless_unreachable(task_id, "its start", start):
                    unrecorded_start = start
            elif kind == "progress":
                now = time.monotonic()
                if now - last_progress >= PROGRESS_INTERVAL_S or event[2] >= 1.0:
                    last_progress = now
                    if unrecorded_start is not None and _unless_unreachable(
                        task_id, "its start", unrecorded_start
                    ):
                        unrecorded_start = None
                    _unless_unreachable(
                        task_id,
                        "its progress",
                        partial(
                            registry.update_task,
                            task_id,
                            only_if=[TaskStatus.RUNNING],
                            **progress_fields(*event[2:]),
                        ),
                    )
        if time.monotonic() >= next_check:
            next_check = time.monotonic() + POLL_S
            try:
                task = registry.get_task(task_id)
            except Exception as exc:
                if not is_unreachable(exc):
                    raise
                continue  # a cancel is seen at the first poll once the registry answers
            if task is None or task.status.is_finished:
                status = task.status if task is not None else "removed"
                log.info("task %s was %s: stopping its process %s", task_id, status, child.pid)
                _stop(child)
                raise TrainingError(f"the task was {status} while it ran on {here}")


def _unless_unreachable(task_id: str, what: str, write: Callable[[], object]) -> bool:
    """A write about a running fit that may be skipped while the registry cannot be
    reached (then False): the fit runs on, and its end is recorded by the replica that
    queued it, which waits for the registry (`registry.retries`)."""
    try:
        write()
    except Exception as exc:
        if not is_unreachable(exc):
            raise
        log.warning(
            "task %s: %s was not recorded, the registry cannot be reached (%s)",
            task_id, what, first_line(exc),
        )  # fmt: skip
        return False
    return True


def _started(registry: SqlRegistry, task_id: str, here: str, pid: int) -> None:
    started = registry.update_task(
        task_id,
        only_if=[TaskStatus.QUEUED],
        status=TaskStatus.RUNNING,
        started_at=utcnow(),
        message="starting",
        worker=here,
    )
    if started is None:  # running already: the Dask worker that ran it first died
        registry.update_task(
            task_id,
            only_if=[TaskStatus.RUNNING],
            progress=0.0,
            message="started again (the Dask worker that ran it died)",
            worker=here,
        )
    log.info("task %s running in process %s on %s", task_id, pid, here)


def _last_word(events: "Queue[tuple[Any, ...]]") -> tuple[Any, ...] | None:
    """The child has exited: what it sent last, if it sent anything more."""
    try:
        return events.get(timeout=1.0)
    except queue.Empty:
        return None


def _stop(child: ForkServerProcess) -> None:
    if child.is_alive():
        child.terminate()
        child.join(3)
    if child.is_alive():
        child.kill()
    child.join(3)


def dask_setup(worker: Any) -> None:
    """`dask worker --preload app.tasks.dask_job`: import the training code and start the
    forkserver (which imports the training libraries) when the worker starts, not in its
    first fit (tens of seconds on a busy machine, with the worker's event loop blocked)."""
    threading.Thread(target=_start_forkserver, name="forkserver-start", daemon=True).start()


def _start_forkserver() -> None:
    if multiprocessing.current_process().daemon:
        log.error(DAEMON_WORKER)
        return
    try:
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(PRELOAD)
        process = context.Process(target=worker.nothing)
        with ctrl_c_blocked():  # the forkserver's imports, and the workers it forks
            process.start()
        process.join()
    except Exception:
        log.exception("the forkserver could not be started ahead of the first fit")


def _child(
    function: Callable[..., Any],
    args: tuple[Any, ...],
    events: "Queue[tuple[Any, ...]]",
    dask_worker: ProcessId,
) -> None:
    """In the child process: the job as the local pool runs it, its result sent back."""
    worker.init_worker(events, dask_worker)  # exits with the Dask worker, nice 10, imports
    try:
        result = function(*args)
    except BaseException as exc:
        if not isinstance(exc, TrainingError):
            log.exception("the job %s failed", getattr(function, "__name__", function))
        events.put(("error", _picklable(exc)))
    else:
        events.put(("result", result))


def _picklable(exc: BaseException) -> BaseException:
    try:
        pickle.loads(pickle.dumps(exc))
        return exc
    except Exception:
        return RuntimeError(f"{type(exc).__name__}: {exc}")


def _registry(database_url: str) -> SqlRegistry:
    """One registry per worker process and database."""
    with _lock:
        registry = _registries.get(database_url)
        if registry is None:
            registry = _registries[database_url] = SqlRegistry(database_url)
        return registry


def _require_children_allowed() -> None:
    """A fit runs in a child process, and multiprocessing refuses children to a daemon,
    which is what Dask's nanny makes its worker process unless told otherwise."""
    if multiprocessing.current_process().daemon:
        raise TrainingError(DAEMON_WORKER)
