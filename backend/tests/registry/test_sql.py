from concurrent.futures import ThreadPoolExecutor

import pytest

from app.core.errors import ConflictError
from app.registry.entities import ModelRecord, TaskRecord
from app.registry.sql import SqlRegistry
from shared.schemas import ModelStatus, TaskStatus
from testkit.records import dataset_record, model_record, task_record


def model(model_id: str, name: str = "m") -> ModelRecord:
    return model_record(model_id, name=name)


def task(task_id: str) -> TaskRecord:
    return task_record(task_id)


def test_versions_count_up_per_name(registry: SqlRegistry) -> None:
    assert registry.add_model_version(model("a")).version == 1
    assert registry.add_model_version(model("b")).version == 2
    assert registry.add_model_version(model("c", name="other")).version == 1


def test_a_version_number_is_never_given_twice(registry: SqlRegistry) -> None:
    """The highest versions removed, the next is still one more than any given before:
    the alias history, the tasks and the prediction log keep the old numbers."""
    for i in range(1, 4):
        assert registry.add_model_version(model(f"v{i}")).version == i
    registry.delete_model("v3")
    registry.delete_model("v2")
    assert registry.add_model_version(model("v4")).version == 4
    registry.delete_model("v4")
    registry.delete_model("v1")  # none left: the name keeps counting
    assert registry.add_model_version(model("v5")).version == 5


def test_concurrent_versions_stay_unique(registry: SqlRegistry) -> None:
    with ThreadPoolExecutor(8) as pool:
        versions = list(
            pool.map(lambda i: registry.add_model_version(model(f"id{i}")).version, range(16))
        )
    assert sorted(versions) == list(range(1, 17))


def test_update_model_and_round_trip(registry: SqlRegistry) -> None:
    registry.add_model_version(model("a"))
    updated = registry.update_model(
        "a",
        status=ModelStatus.READY,
        classes=[0, "x"],
        metrics={"accuracy": 1, "precision": 1, "recall": 1, "f1": 1},
    )
    assert updated.status == ModelStatus.READY and updated.classes == [0, "x"]
    assert registry.get_model("a").metrics.accuracy == 1  # type: ignore[union-attr]
    assert registry.get_model("a").created_at.tzinfo is not None  # type: ignore[union-attr]


def test_update_task_only_if(registry: SqlRegistry) -> None:
    registry.add_task(task("t"))
    assert registry.update_task("t", only_if=[TaskStatus.RUNNING], progress=0.5) is None
    running = registry.update_task("t", only_if=[TaskStatus.QUEUED], status=TaskStatus.RUNNING)
    assert running is not None and running.status == TaskStatus.RUNNING
    assert [t.id for t in registry.list_tasks([TaskStatus.RUNNING])] == ["t"]
    assert registry.list_tasks([TaskStatus.FAILED]) == []


def test_delete_and_missing(registry: SqlRegistry) -> None:
    registry.add_model_version(model("a"))
    registry.delete_model("a")
    assert registry.get_model("a") is None and registry.get_task("nope") is None
    registry.ping()


def test_finish_task_has_one_winner_and_moves_the_model_with_it(registry: SqlRegistry) -> None:
    registry.add_model_version(model("m"))
    registry.add_task(task("t").model_copy(update={"model_id": "m"}))
    active = [TaskStatus.QUEUED, TaskStatus.RUNNING]
    outcomes = [TaskStatus.SUCCEEDED, TaskStatus.CANCELLED] * 8

    def finish(status: TaskStatus) -> bool:
        model_status = ModelStatus.READY if status == TaskStatus.SUCCEEDED else ModelStatus.FAILED
        return registry.finish_task(
            "t",
            from_statuses=active,
            status=status,
            task_fields={"message": str(status)},
            model_fields={"status": model_status, "error": str(status)},
        )

    with ThreadPoolExecutor(8) as pool:
        won = list(pool.map(finish, outcomes))
    assert won.count(True) == 1
    winner = outcomes[won.index(True)]
    ended = registry.get_task("t")
    assert ended is not None and ended.status == winner and ended.message == str(winner)
    moved = registry.get_model("m")
    assert moved is not None and moved.error == str(winner)
    ready = winner == TaskStatus.SUCCEEDED
    assert moved.status == (ModelStatus.READY if ready else ModelStatus.FAILED)


def test_finish_task_loser_leaves_the_model_alone(registry: SqlRegistry) -> None:
    registry.add_model_version(model("m"))
    cancelled = task("t").model_copy(update={"model_id": "m", "status": TaskStatus.CANCELLED})
    registry.add_task(cancelled)
    assert not registry.finish_task(
        "t",
        from_statuses=[TaskStatus.QUEUED, TaskStatus.RUNNING],
        status=TaskStatus.SUCCEEDED,
        model_fields={"status": ModelStatus.READY},
    )
    assert registry.get_model("m").status == ModelStatus.TRAINING  # type: ignore[union-attr]
    assert registry.get_task("t").status == TaskStatus.CANCELLED  # type: ignore[union-attr]


def test_count_tasks_by_status(registry: SqlRegistry) -> None:
    assert registry.count_tasks_by_status() == {}
    for i, status in enumerate([TaskStatus.QUEUED, TaskStatus.QUEUED, TaskStatus.FAILED]):
        registry.add_task(task(f"t{i}").model_copy(update={"status": status}))
    assert registry.count_tasks_by_status() == {TaskStatus.QUEUED: 2, TaskStatus.FAILED: 1}


def test_a_dataset_in_use_names_the_task_that_uses_it(registry: SqlRegistry) -> None:
    dataset, _ = registry.add_dataset(dataset_record())
    registry.add_task(
        task_record(
            "s1", kind="hard_examples_scoring", dataset_id=dataset.id, status=TaskStatus.RUNNING
        )
    )
    with pytest.raises(ConflictError) as caught:
        registry.delete_dataset(dataset.id)
    message = str(caught.value)
    assert "used by a running hard_examples_scoring task (s1)" in message
    assert "training" not in message
