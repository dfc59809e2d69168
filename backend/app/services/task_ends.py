"""What every kind of task shares at its end (a classifier's fit, a retriever's fit):
waiting for it. How each ends is its own service's (`fit_endings`, `retriever_fits`)."""

import time

from app.registry.base import Registry
from app.registry.entities import TaskRecord


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
