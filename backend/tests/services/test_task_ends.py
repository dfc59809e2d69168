import logging
import threading

import pytest

from app.core.errors import NotFoundError
from app.registry.sql import SqlRegistry
from app.services.task_ends import end_without_result, run_to_end, succeed, wait_until_finished
from shared.schemas import ModelStatus, TaskStatus
from testkit.records import model_record, task_record


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


def test_succeed_fills_the_task_and_moves_its_model_once(registry: SqlRegistry) -> None:
    model = registry.add_model_version(model_record("m"))
    registry.add_task(task_record("t", model_id=model.id, status=TaskStatus.RUNNING))
    ready = {"status": ModelStatus.READY}
    assert succeed(
        registry, "t", "all done", from_statuses=[TaskStatus.RUNNING], model_fields=ready
    )
    task = registry.get_task("t")
    assert task is not None and task.status == TaskStatus.SUCCEEDED
    assert task.progress == 1.0 and task.message == "all done" and task.finished_at is not None
    assert registry.get_model("m").status == ModelStatus.READY  # type: ignore[union-attr]
    assert not succeed(registry, "t", "again", from_statuses=[TaskStatus.RUNNING])
    assert registry.get_task("t").message == "all done"  # type: ignore[union-attr]


def test_end_without_result_loses_to_an_earlier_end(registry: SqlRegistry) -> None:
    registry.add_task(task_record("t"))  # queued
    assert not end_without_result(
        registry, "t", TaskStatus.FAILED, from_statuses=[TaskStatus.RUNNING], message="m", error="e"
    )
    assert end_without_result(
        registry,
        "t",
        TaskStatus.CANCELLED,
        from_statuses=[TaskStatus.QUEUED, TaskStatus.RUNNING],
        message="cancelled",
        error="stopped by hand",
    )
    task = registry.get_task("t")
    assert task is not None and task.status == TaskStatus.CANCELLED
    assert (task.message, task.error) == ("cancelled", "stopped by hand")
    assert task.finished_at is not None and task.progress == 0.0


def test_run_to_end_succeeds_with_the_work_s_message(registry: SqlRegistry) -> None:
    registry.add_task(task_record("t", status=TaskStatus.RUNNING))
    run_to_end(registry, "t", "a job", lambda: "12 rows scored")
    task = registry.get_task("t")
    assert task is not None and task.status == TaskStatus.SUCCEEDED
    assert (task.message, task.progress, task.error) == ("12 rows scored", 1.0, None)


def test_run_to_end_fails_with_the_work_s_error(
    registry: SqlRegistry, caplog: pytest.LogCaptureFixture
) -> None:
    registry.add_task(task_record("t", status=TaskStatus.RUNNING))

    def broken() -> str:
        raise ValueError("no such column")

    run_to_end(registry, "t", "a job", broken)
    task = registry.get_task("t")
    assert task is not None and task.status == TaskStatus.FAILED
    assert (task.message, task.error) == ("failed", "no such column")
    assert "a job t failed" in caplog.text


def test_an_expected_error_is_a_warning_without_traceback(
    registry: SqlRegistry, caplog: pytest.LogCaptureFixture
) -> None:
    registry.add_task(task_record("t", status=TaskStatus.RUNNING))

    def gone() -> str:
        raise NotFoundError("the file of dataset d is missing on disk")

    with caplog.at_level(logging.WARNING):
        run_to_end(registry, "t", "a job", gone)
    assert registry.get_task("t").error == "the file of dataset d is missing on disk"  # type: ignore[union-attr]
    (record,) = [r for r in caplog.records if "a job t failed" in r.getMessage()]
    assert record.levelno == logging.WARNING and record.exc_info is None
    assert "missing on disk" in record.getMessage()
