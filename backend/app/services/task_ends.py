"""What every kind of task shares at its end (a classifier's fit, a retriever's fit, a
scoring, a quality test): the fields an end writes, running a task in a thread to its end,
and waiting for it. Each end is one conditional `Registry.finish_task`, so of two callers
racing to end a task one wins; what else the winner does (its model's file, its
retriever's folder) is its service's. An end is tried again while the registry cannot be
reached (`registry.retries`), until it answers or the process stops, so a database that
restarts as a task ends does not leave the task running for good."""

import logging
import time
from collections.abc import Callable, Iterable
from typing import Any

from app.core.errors import ConflictError, InvalidInputError, NotFoundError
from app.registry.base import Registry
from app.registry.entities import TaskRecord
from app.registry.retries import retrying
from app.registry.tables import utcnow
from shared.schemas import TaskStatus

log = logging.getLogger(__name__)

# what a task's work raises for its input (a file gone, a column missing), not for a bug:
# a warning that names it, its traceback left out
EXPECTED_ERRORS = (NotFoundError, ConflictError, InvalidInputError)


def succeed(
    registry: Registry,
    task_id: str,
    message: str,
    *,
    from_statuses: Iterable[TaskStatus],
    model_fields: dict[str, Any] | None = None,
) -> bool:
    """Move the task to succeeded with `message` and full progress, while its status is
    one of `from_statuses` (and its model with `model_fields`); True for the winner.

    Only a task's own job succeeds it, so after a try whose connection dropped (it may
    have committed) a task found succeeded is this call's."""
    tries = 0

    def finish() -> bool:
        nonlocal tries
        tries += 1
        return registry.finish_task(
            task_id,
            from_statuses=from_statuses,
            status=TaskStatus.SUCCEEDED,
            task_fields={
                "progress": 1.0,
                "message": message,
                "finished_at": utcnow(),
                "expected_finish_at": None,
            },
            model_fields=model_fields,
        )

    won = retrying(finish, what=f"ending task {task_id}", until=registry.stopping)
    if won or tries == 1:
        return won
    task = retrying(
        lambda: registry.get_task(task_id), what=f"reading task {task_id}", until=registry.stopping
    )
    return task is not None and task.status == TaskStatus.SUCCEEDED


def end_without_result(
    registry: Registry,
    task_id: str,
    status: TaskStatus,
    *,
    from_statuses: Iterable[TaskStatus],
    message: str,
    error: str,
    model_fields: dict[str, Any] | None = None,
) -> bool:
    """Move the task to `status` (failed, cancelled) with `message` and `error`, while its
    status is one of `from_statuses` (and its model with `model_fields`); True for the
    winner."""
    return retrying(
        lambda: registry.finish_task(
            task_id,
            from_statuses=from_statuses,
            status=status,
            task_fields={
                "message": message,
                "error": error,
                "finished_at": utcnow(),
                "expected_finish_at": None,
            },
            model_fields=model_fields,
        ),
        what=f"ending task {task_id}",
        until=registry.stopping,
    )


def run_to_end(registry: Registry, task_id: str, what: str, work: Callable[[], str]) -> None:
    """Run a running task's `work` here (its thread) and end the task: succeeded with the
        message `work` returns, or failed with the exception it raised (logged: a typed error as a
    warning, anything else with its traceback)."""
    try:
        message = work()
    except Exception as exc:
        if isinstance(exc, EXPECTED_ERRORS):  # said on the task: no traceback to read
            log.warning("%s %s failed: %s", what, task_id, exc)
        else:
            log.exception("%s %s failed", what, task_id)
        end_without_result(
            registry,
            task_id,
            TaskStatus.FAILED,
            from_statuses=[TaskStatus.RUNNING],
            message="failed",
            error=str(exc),
        )
        return
    succeed(registry, task_id, message, from_statuses=[TaskStatus.RUNNING])


def wait_until_finished(
    registry: Registry, task_id: str, *, timeout: float, poll_s: float
) -> TaskRecord:
    """Block until the task has finished and its outcome is recorded (or it was removed:
    then None), reading the registry every `poll_s`; TimeoutError after `timeout`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        task = registry.get_task(task_id)
        if task is None or task.status.is_finished:
            return task  # type: ignore[return-value]
        time.sleep(poll_s)
    raise TimeoutError(f"task {task_id} did not finish in {timeout:.0f}s")
