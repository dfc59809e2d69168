"""Retrievers across replicas: two RetrieverServices over one registry and one
RETRIEVERS_DIR (two replicas in one process; a `flock` taken through two opens conflicts
as between two processes), embedded Qdrant Edge storage. A query opens a retriever marked
loaded on demand, a shard held elsewhere is a 409 naming QDRANT_URL, and the sync lets go
of what is no longer loaded without undoing this replica's own newer load."""

from pathlib import Path

import pytest

from app.core.errors import ConflictError
from app.ml.retrieval.fitting import RetrieverSpec, fit_retriever
from app.ml.retrieval.qa_data import QaColumnNames
from app.registry.retrievers import RetrieverRecord, SqlRetrievers
from app.registry.sql import SqlRegistry
from app.registry.tables import utcnow
from app.services.memory import LoadedModels
from app.services.models import ModelService
from app.services.replica_sync import ReplicaSync
from app.services.retriever_shards import RetrieverStorage, ShardInUseError
from app.services.retrievers import RetrieverService
from shared.schemas.retrieval import (
    RetrieverParams,
    RetrieverStatus,
    default_retrieval_preprocessing,
)

QA = (
    "context,question,answer\n"
    "Cats sleep for most of the day.,How long do cats sleep?,most of the day\n"
    "Paris is the capital of France.,What is the capital of France?,Paris\n"
)
COLUMNS = QaColumnNames("context", "question", "answer")


def ready_retriever(store: SqlRetrievers, folder: Path, tmp_path: Path) -> str:
    """A ready tfidf retriever fitted into `folder`, not loaded; its id."""
    data = tmp_path / "qa.csv"
    data.write_text(QA)
    params = RetrieverParams().model_dump(mode="json")
    preprocessing = default_retrieval_preprocessing().model_dump(mode="json")
    record = store.add_version(
        RetrieverRecord(
            id="r1",
            name="faq",
            version=0,
            kind="tfidf",
            status=RetrieverStatus.READY,
            is_default=False,
            loaded=False,
            params=params,
            preprocessing=preprocessing,
            dataset_id=None,
            dataset_name=None,
            context_column="context",
            question_column="question",
            answer_column="answer",
            created_at=utcnow(),
        )
    )
    spec = RetrieverSpec(
        dataset_path=str(data),
        kind="tfidf",
        params=params,
        preprocessing=preprocessing,
        columns=COLUMNS,
        folder=str(folder / record.id),
    )
    fit_retriever(spec, lambda fraction, message: None)
    return record.id


def replica(registry: SqlRegistry, folder: Path) -> tuple[RetrieverService, ReplicaSync]:
    retrievers = RetrieverService(
        registry=registry,
        store=SqlRetrievers(registry.engine),
        datasets=None,  # type: ignore[arg-type]  # no fits here
        runner=None,  # type: ignore[arg-type]
        storage=RetrieverStorage(folder),
    )
    models = ModelService(registry=registry, memory=LoadedModels(), models_dir=folder)
    return retrievers, ReplicaSync(models=models, retrievers=retrievers, interval_s=0.05)


def test_opened_on_demand_held_elsewhere_and_let_go(registry: SqlRegistry, tmp_path: Path) -> None:
    folder = tmp_path / "retrievers"
    folder.mkdir()
    a, a_sync = replica(registry, folder)
    b, b_sync = replica(registry, folder)
    rid = ready_retriever(a.store, folder, tmp_path)

    with pytest.raises(ConflictError, match="load it first"):
        b.in_memory(rid)  # loaded nowhere
    a.load(rid)
    with pytest.raises(ShardInUseError, match="QDRANT_URL"):
        b.in_memory(rid)  # marked loaded, but A holds the shard
    assert b.held() == set()

    # A lets go without unloading (a replica that stops): B's query opens it
    a.let_go(rid)
    opened = b.in_memory(rid)
    position = opened.search(["capital of France?"], 1)[0][0][0]
    assert b.held() == {rid} and "Paris" in opened.contexts[position]
    with pytest.raises(ShardInUseError, match="QDRANT_URL"):
        a.load(rid)

    # unloaded through A, which does not hold it: B's sync closes it and frees the shard
    a.unload(rid)
    assert a_sync.let_go_retrievers() == []
    assert b_sync.let_go_retrievers() == [rid]
    assert b.held() == set()
    assert a.load(rid).loaded
    assert b_sync.let_go_retrievers() == []  # converged: nothing more to do

    # removed through B: A's sync closes it
    b.remove(rid)
    assert a_sync.let_go_retrievers() == [rid]
    assert a.held() == set() and not (folder / rid).exists()
    a.stop()
    b.stop()


def test_its_own_newer_load_is_not_undone(registry: SqlRegistry, tmp_path: Path) -> None:
    """The sync read the registry before this replica loaded the retriever: what it read
    says not loaded, yet the retriever stays open."""
    folder = tmp_path / "retrievers"
    folder.mkdir()
    b, b_sync = replica(registry, folder)
    rid = ready_retriever(b.store, folder, tmp_path)
    store = b.store

    class LoadsMidway:
        def loaded_ids(self) -> set[str]:
            state = store.loaded_ids()
            b.load(rid)
            return state

    class SeenBySync:
        """B as its sync sees it: a load on B lands between the sync's read and its
        comparison."""

        store = LoadsMidway()

        def __getattr__(self, name: str) -> object:
            return getattr(b, name)

    b_sync.retrievers = SeenBySync()  # type: ignore[assignment]
    assert b_sync.let_go_retrievers() == []
    assert b.held() == {rid}
    b.stop()


def test_a_sync_between_a_load_and_its_registry_write_leaves_it_open(
    registry: SqlRegistry, tmp_path: Path
) -> None:
    """A load opens the retriever, then writes `loaded`: the sync that reads the registry
    between the two sees it not loaded, and must not close it."""
    folder = tmp_path / "retrievers"
    folder.mkdir()
    b, b_sync = replica(registry, folder)
    rid = ready_retriever(b.store, folder, tmp_path)
    store = b.store
    midway: list[list[str]] = []

    class SyncsMidway:
        """The store as B writes it: B's sync runs just before each write."""

        def __getattr__(self, name: str) -> object:
            return getattr(store, name)

        def update(self, retriever_id: str, **changes: object) -> object:
            midway.append(b_sync.let_go_retrievers())
            return store.update(retriever_id, **changes)  # type: ignore[arg-type]

    b.store = SyncsMidway()  # type: ignore[assignment]
    b.load(rid)
    assert midway == [[]]
    assert b.held() == {rid}
    assert b_sync.let_go_retrievers() == []
    b.stop()
