"""A replica's start-up over a registry and folders other replicas share: it recovers
and sweeps its own work only (the tasks it queued, its partial uploads)."""

import os
import time
from pathlib import Path

from app.registry.replicas import SqlReplicas
from app.registry.sql import SqlRegistry
from app.services.datasets import DatasetService
from app.services.fit_endings import INTERRUPTED
from app.services.heartbeats import Heartbeat
from shared.schemas import ModelStatus, TaskStatus
from testkit.records import model_record, task_record
from testkit.replicas import age_heartbeat
from testkit.training import training_service


def test_recovery_fails_only_this_replicas_tasks(registry: SqlRegistry, tmp_path: Path) -> None:
    for model_id, replica in [("mine", "a"), ("theirs", "b"), ("older", None)]:
        registry.add_model_version(model_record(model_id))  # training
        registry.add_task(
            task_record(
                f"task-{model_id}", model_id=model_id, status=TaskStatus.RUNNING
            ).model_copy(update={"replica": replica})
        )
    registry.add_model_version(model_record("orphan"))  # training, and no task trains it
    training = training_service(registry, tmp_path, workers=1, replica="a", start=False)

    training.recover_interrupted()

    def status(task_id: str) -> TaskStatus:
        return registry.get_task(task_id).status  # type: ignore[union-attr]

    assert status("task-mine") == TaskStatus.FAILED
    assert status("task-older") == TaskStatus.FAILED  # from before tasks named their replica
    assert status("task-theirs") == TaskStatus.RUNNING
    models = {m.id: m.status for m in registry.list_models()}
    assert models == {
        "mine": ModelStatus.FAILED,
        "older": ModelStatus.FAILED,
        "theirs": ModelStatus.TRAINING,
        "orphan": ModelStatus.FAILED,
    }


def _tasks_of(registry: SqlRegistry, replicas: list[str | None]) -> None:
    """A running task (training its model) named after each replica (`none`: no name)."""
    for replica in replicas:
        name = replica or "none"
        registry.add_model_version(model_record(name))  # training
        registry.add_task(
            task_record(f"task-{name}", model_id=name, status=TaskStatus.RUNNING).model_copy(
                update={"replica": replica}
            )
        )


def _heartbeats(registry: SqlRegistry) -> Heartbeat:
    """Replica "a" (this one) and "b" beat; "c" stopped beating a while ago; "d" never
    did (it stopped cleanly, or ran a release from before heartbeats)."""
    store = SqlReplicas(registry.engine)
    for name in ("a", "b", "c"):
        store.beat(name, starting=True)
    age_heartbeat(registry.engine, "c", 3600)
    return Heartbeat(store=store, name="a", interval_s=10, stale_s=60)


def test_a_live_replica_ends_the_tasks_of_the_replicas_that_stopped(
    registry: SqlRegistry, tmp_path: Path
) -> None:
    _tasks_of(registry, ["a", "b", "c", "d", None])
    training = training_service(
        registry, tmp_path, workers=1, replica="a", heartbeat=_heartbeats(registry), start=False
    )

    ended = training.end_orphaned()

    assert sorted(t.id for t in ended) == ["task-c", "task-d"]
    tasks = {t.id: t for t in registry.list_tasks()}
    assert {i: t.status for i, t in tasks.items()} == {
        "task-a": TaskStatus.RUNNING,  # its own: it runs here
        "task-b": TaskStatus.RUNNING,  # a live replica's
        "task-c": TaskStatus.FAILED,
        "task-d": TaskStatus.FAILED,
        "task-none": TaskStatus.RUNNING,  # before tasks named replicas: left to start-ups
    }
    error = tasks["task-c"].error or ""
    assert error.startswith("the replica c that ran it stopped (no heartbeat since "), error
    assert "the replica d that ran it stopped (no heartbeat on record)" in (
        tasks["task-d"].error or ""
    )
    models = {m.id: (m.status, m.error) for m in registry.list_models()}
    assert models["c"] == (ModelStatus.FAILED, error)
    assert models["d"][0] == ModelStatus.FAILED
    assert {models[x][0] for x in ("a", "b", "none")} == {ModelStatus.TRAINING}
    # a second replica taking over the same tasks finds them ended: nothing is ended twice
    assert training.end_orphaned() == []


def test_a_start_up_ends_its_own_tasks_and_those_of_the_replicas_that_stopped(
    registry: SqlRegistry, tmp_path: Path
) -> None:
    _tasks_of(registry, ["a", "b", "c", None])
    training = training_service(
        registry, tmp_path, workers=1, replica="a", heartbeat=_heartbeats(registry), start=False
    )

    training.recover_interrupted()

    tasks = {t.id: t for t in registry.list_tasks()}
    assert {i: t.status for i, t in tasks.items()} == {
        "task-a": TaskStatus.FAILED,
        "task-b": TaskStatus.RUNNING,
        "task-c": TaskStatus.FAILED,
        "task-none": TaskStatus.FAILED,
    }
    assert tasks["task-a"].error == INTERRUPTED
    assert (tasks["task-c"].error or "").startswith("the replica c that ran it stopped")


def test_the_registry_stamps_its_replica_on_the_tasks_it_adds(tmp_path: Path) -> None:
    registry = SqlRegistry(f"sqlite:///{tmp_path / 'r.db'}", replica="api-1:8000")
    registry.add_task(task_record("t"))
    registry.add_task(task_record("named").model_copy(update={"replica": "api-2:8000"}))
    assert registry.get_task("t").replica == "api-1:8000"  # type: ignore[union-attr]
    assert registry.get_task("named").replica == "api-2:8000"  # type: ignore[union-attr]
    registry.close()


def test_a_replica_sweeps_only_its_own_partial_uploads(tmp_path: Path) -> None:
    registry = SqlRegistry(f"sqlite:///{tmp_path / 'r.db'}")
    a = DatasetService(registry=registry, datasets_dir=tmp_path / "datasets", replica="host:1")
    b = DatasetService(registry=registry, datasets_dir=tmp_path / "datasets", replica="host:2")
    a.incoming_dir.mkdir(parents=True)
    mine, theirs, stale = a.new_part(), b.new_part(), b.new_part()
    legacy = a.incoming_dir / "0123456789abcdef.part"  # before parts named their replica
    for part in (mine, theirs, stale, legacy):
        part.write_bytes(b"x")
    day_ago = time.time() - 25 * 3600
    os.utime(stale, (day_ago, day_ago))
    assert mine.name.startswith("host_1.") and theirs.name.startswith("host_2.")

    a.clean_up()

    assert sorted(p.name for p in a.incoming_dir.iterdir()) == [theirs.name]
    registry.close()


def test_a_dataset_file_just_moved_into_place_is_kept(tmp_path: Path) -> None:
    """An upload is renamed into DATASETS_DIR a moment before its record is stored."""
    registry = SqlRegistry(f"sqlite:///{tmp_path / 'r.db'}")
    datasets = DatasetService(registry=registry, datasets_dir=tmp_path / "datasets")
    datasets.datasets_dir.mkdir(parents=True)
    arriving = datasets.datasets_dir / "arriving.csv"
    arriving.write_text("t,l\na,b\n")
    datasets.clean_up()
    assert arriving.exists()
    datasets.clean_up(grace_s=0)
    # no record knows it: set aside, never deleted (it may be another registry's)
    assert not arriving.exists()
    assert (datasets.datasets_dir / "orphaned" / "arriving.csv").read_text() == "t,l\na,b\n"
    registry.close()
