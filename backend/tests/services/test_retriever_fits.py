"""The recovery of retriever fits: at start-up every retriever still training whose fit no
active task runs fails; when a replica that stopped has its tasks ended, only the
retrievers those tasks were fitting fail, with the tasks' error, and their folders go; a
retriever name never gives a version number twice."""

import uuid
from pathlib import Path

from app.registry.retrievers import RetrieverRecord, SqlRetrievers
from app.registry.sql import SqlRegistry
from app.services.retriever_fits import FIT_TASK, INTERRUPTED, RetrieverFits
from app.services.retriever_shards import RetrieverStorage
from app.tasks import ownership
from shared.schemas import TaskStatus
from shared.schemas.retrieval import RetrieverStatus
from testkit.records import retriever_record, task_record

STOPPED = "the replica b that ran it stopped (no heartbeat since 2026-12-05 12:00:00 UTC)"


def training(store: SqlRetrievers, name: str) -> RetrieverRecord:
    return store.add_version(retriever_record(name, name))


def test_a_stopped_replicas_fit_fails_and_a_fit_just_stored_does_not(
    registry: SqlRegistry, tmp_path: Path
) -> None:
    store = SqlRetrievers(registry.engine)
    storage = RetrieverStorage(tmp_path / "retrievers")
    fits = RetrieverFits(
        registry=registry,
        store=store,
        datasets=None,  # type: ignore[arg-type]  # no fits here
        runner=None,  # type: ignore[arg-type]
        storage=storage,
    )
    records = {name: training(store, name) for name in ("stopped", "running", "just-stored")}
    for name in ("stopped", "running"):
        record = records[name]
        registry.add_task(
            task_record(
                f"task-{name}",
                kind=FIT_TASK,
                model_name=name,
                model_version=record.version,
                status=TaskStatus.RUNNING,
            )
        )
    folder = storage.path("stopped")
    folder.mkdir(parents=True)
    ownership.create(folder)
    ended = registry.update_task("task-stopped", status=TaskStatus.FAILED, error=STOPPED)
    assert ended is not None

    assert fits.recover([ended]) == ["stopped"]

    statuses = {r.id: (r.status, r.error) for r in store.list()}
    assert statuses == {
        "stopped": (RetrieverStatus.FAILED, STOPPED),
        "running": (RetrieverStatus.TRAINING, None),  # its task is active
        "just-stored": (RetrieverStatus.TRAINING, None),  # its task is a moment away
    }
    assert not folder.exists() and not ownership.lock_path(folder).exists()

    # at start-up, every retriever that no active task fits has failed
    assert fits.recover() == ["just-stored"]
    assert store.get("just-stored").error == INTERRUPTED  # type: ignore[union-attr]
    assert store.get("running").status == RetrieverStatus.TRAINING  # type: ignore[union-attr]


def test_a_retriever_version_number_is_never_given_twice(registry: SqlRegistry) -> None:
    """The highest removed, the next is still one more than any given before (the Tasks
    page listed two "race v3")."""
    store = SqlRetrievers(registry.engine)
    name = f"race-{uuid.uuid4().hex[:6]}"
    versions = [store.add_version(retriever_record(f"{name}-{i}", name)) for i in range(3)]
    assert [r.version for r in versions] == [1, 2, 3]
    assert store.delete(versions[2].id)
    assert store.add_version(retriever_record(f"{name}-again", name)).version == 4
