import threading

import pytest

from app.registry.sql import SqlRegistry
from app.services.task_ends import wait_until_finished
from shared.schemas import TaskStatus
from testkit.records import task_record


def test_wait_returns_the_task_once_another_thread_ends_it(registry: SqlRegistry) -> None:
    registry.add_task(task_record("t", status=TaskStatus.RUNNING))
    ender = threading.Timer(
        0.2, lambda: registry.update_task("t", status=TaskStatus.SUCCEEDED, message="done")
    )
    ender.start()
    try:
        task = wait_until_finished(registry, "t", timeout=30, poll_s=0.01)
    finally:
        ender.join()
    assert task.status == TaskStatus.SUCCEEDED and task.message == "done"


def test_wait_for_a_removed_task_returns_none(registry: SqlRegistry) -> None:
    assert wait_until_finished(registry, "gone", timeout=30, poll_s=0.01) is None


def test_wait_gives_up_after_its_timeout(registry: SqlRegistry) -> None:
    registry.add_task(task_record("t", status=TaskStatus.RUNNING))
    with pytest.raises(TimeoutError, match="task t did not finish in 0s"):
        wait_until_finished(registry, "t", timeout=0.05, poll_s=0.01)
