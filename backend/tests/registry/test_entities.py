"""`TaskRecord.new`: the one way a service makes a task record, queued or running."""

from datetime import UTC, datetime

from app.registry.entities import TaskRecord
from shared.schemas import TaskStatus


def test_a_new_task_is_queued_with_no_start_and_a_fresh_id() -> None:
    before = datetime.now(UTC)
    first = TaskRecord.new(model_id="m", model_name="toxic", dataset_id="d", message="waiting")
    second = TaskRecord.new(message="waiting")
    assert first.kind == "fit" and first.status == TaskStatus.QUEUED
    assert (first.model_id, first.model_name, first.dataset_id) == ("m", "toxic", "d")
    assert first.progress == 0.0 and first.error is None
    assert first.started_at is None and first.finished_at is None
    assert first.created_at >= before
    assert first.id != second.id and len(first.id) == 32


def test_a_task_run_in_the_server_starts_when_it_is_made() -> None:
    task = TaskRecord.new(kind="retriever_quality", running=True, message="testing 3 questions")
    assert task.status == TaskStatus.RUNNING
    assert task.started_at == task.created_at and task.finished_at is None
    assert task.model_id is None
