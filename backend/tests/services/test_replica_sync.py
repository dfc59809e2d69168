"""The replica sync: two ModelServices over one registry (two replicas in one process,
each with its own memory) converge on the registry's loaded models, load what a
prediction needs on demand, and never undo their own newer change."""

import logging
import threading
from pathlib import Path

import numpy as np
import pytest

from app.core.errors import ConflictError
from app.ml.artifacts import save_bundle
from app.ml.preprocessing import Preprocessor
from app.ml.sklearn_models import fit_sklearn
from app.registry.sql import SqlRegistry
from app.services.memory import LoadedModels
from app.services.models import ModelService
from app.services.replica_sync import ReplicaSync
from shared.schemas import LogregParams, ModelStatus, PreprocessingConfig
from testkit.records import model_record
from testkit.replicas import within

TEXTS = ["you idiot", "thanks a lot", "stupid moron", "great edit", "idiot moron", "nice work"]
LABELS = [1, 0, 1, 0, 1, 0]


def ready_model(registry: SqlRegistry, models_dir: Path, name: str) -> str:
    """A ready logreg model with its bundle on disk; its id."""
    output = fit_sklearn(
        texts=TEXTS,
        labels=LABELS,
        holdout_texts=TEXTS[:2],
        params=LogregParams(min_df=1),
        preprocessor=Preprocessor(PreprocessingConfig()),
        progress=lambda f, m: None,
        random_state=0,
    )
    models_dir.mkdir(parents=True, exist_ok=True)
    sha = save_bundle(output.model, models_dir / f"{name}.zip", manifest={"kind": "logreg"})
    stored = registry.add_model_version(
        model_record(
            name,
            status=ModelStatus.READY,
            artifact_file=f"{name}.zip",
            artifact_sha256=sha,
            classes=[0, 1],
        )
    )
    return stored.id


def replica(registry: SqlRegistry, models_dir: Path) -> tuple[ModelService, ReplicaSync]:
    models = ModelService(registry=registry, memory=LoadedModels(), models_dir=models_dir)
    return models, ReplicaSync(models=models, interval_s=0.05)


def test_a_load_an_unload_and_a_removal_reach_the_other_replica(
    registry: SqlRegistry, tmp_path: Path
) -> None:
    models_dir = tmp_path / "models"
    first = ready_model(registry, models_dir, "first")
    second = ready_model(registry, models_dir, "second")
    a, _ = replica(registry, models_dir)
    b, b_sync = replica(registry, models_dir)

    a.load(first)
    a.load(second)
    loaded, dropped = b_sync.tick()
    assert set(loaded) == {first, second} and dropped == []
    assert b.memory.ids() == {first, second}
    # loaded by the sync, the model predicts as the one the route loaded
    texts = ["idiot", "thanks"]
    got_a, got_b = a.in_memory(first), b.in_memory(first)
    assert got_a is not got_b  # each replica reads its own copy
    np.testing.assert_allclose(got_a.predict_proba(texts), got_b.predict_proba(texts))
    assert b.memory.version(first) == a.memory.version(first)

    a.unload(first)
    assert b_sync.tick() == ([], [first])
    a.remove(second)
    assert b_sync.tick() == ([], [second])
    assert b.memory.ids() == set()
    assert b_sync.tick() == ([], [])  # converged: nothing more to do


def test_the_thread_converges_within_its_interval(registry: SqlRegistry, tmp_path: Path) -> None:
    models_dir = tmp_path / "models"
    model_id = ready_model(registry, models_dir, "m")
    a, _ = replica(registry, models_dir)
    b, b_sync = replica(registry, models_dir)
    b_sync.start()
    try:
        a.load(model_id)
        assert within(2.0, lambda: model_id in b.memory.ids()) is not None
        a.unload(model_id)
        assert within(2.0, lambda: model_id not in b.memory.ids()) is not None
    finally:
        b_sync.stop()


def test_a_model_loaded_elsewhere_is_loaded_on_demand_once(
    registry: SqlRegistry, tmp_path: Path
) -> None:
    """An alias moved on another replica names a model this one has not synced yet: the
    prediction loads it instead of answering 409; one not loaded anywhere is still 409."""
    models_dir = tmp_path / "models"
    model_id = ready_model(registry, models_dir, "m")
    idle = ready_model(registry, models_dir, "idle")
    a, _ = replica(registry, models_dir)
    b, _ = replica(registry, models_dir)
    a.load(model_id)

    got: list[object] = []
    threads = [threading.Thread(target=lambda: got.append(b.in_memory(model_id))) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(got) == 8 and all(m is got[0] for m in got)  # read once, shared
    with pytest.raises(ConflictError, match="not loaded"):
        b.in_memory(idle)


def test_its_own_newer_change_is_not_undone(registry: SqlRegistry, tmp_path: Path) -> None:
    """The sync read the registry before this replica loaded a model: what it read says
    not loaded, yet the model stays."""
    models_dir = tmp_path / "models"
    model_id = ready_model(registry, models_dir, "m")
    b, b_sync = replica(registry, models_dir)

    class LoadsMidway:
        """The registry as the sync sees it: a load on this replica lands between its
        read and its comparison."""

        def __getattr__(self, name: str) -> object:
            return getattr(registry, name)

        def loaded_model_versions(self) -> dict[str, int]:
            state = registry.loaded_model_versions()
            b.load(model_id)
            return state

    b_sync.models = ModelService(registry=LoadsMidway(), memory=b.memory, models_dir=models_dir)  # type: ignore[arg-type]
    b_sync.models.changes = b.changes
    assert b_sync.tick() == ([], [])
    assert model_id in b.memory.ids()


def test_a_sync_between_a_change_and_its_registry_write_leaves_it_be(
    registry: SqlRegistry, tmp_path: Path
) -> None:
    """A load puts the model in memory, then writes `loaded`; an unload the reverse. The
    sync that reads the registry between the two steps sees the old row, and must neither
    let go of the model being loaded nor load again the one being unloaded."""
    models_dir = tmp_path / "models"
    model_id = ready_model(registry, models_dir, "m")
    b, b_sync = replica(registry, models_dir)
    midway: list[tuple[list[str], list[str]]] = []

    class SyncsMidway:
        """The registry as B writes it: B's sync runs just before each model write."""

        def __getattr__(self, name: str) -> object:
            return getattr(registry, name)

        def update_model(self, model_id: str, **changes: object) -> object:
            midway.append(b_sync.tick())
            return registry.update_model(model_id, **changes)  # type: ignore[arg-type]

    b.registry = SyncsMidway()  # type: ignore[assignment]
    b.load(model_id)
    assert model_id in b.memory.ids()
    b.unload(model_id)
    assert model_id not in b.memory.ids()
    assert midway == [([], []), ([], [])]
    assert b_sync.tick() == ([], [])  # and once the writes are done, nothing to undo


def test_a_bundle_that_cannot_load_is_logged_once(
    registry: SqlRegistry, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    models_dir = tmp_path / "models"
    model_id = ready_model(registry, models_dir, "m")
    registry.update_model(model_id, loaded=True)
    (models_dir / "m.zip").write_bytes(b"changed")  # its sha256 no longer matches
    _, b_sync = replica(registry, models_dir)
    with caplog.at_level(logging.ERROR, logger="app.services.replica_sync"):
        for _ in range(3):
            assert b_sync.tick() == ([], [])
    assert len([r for r in caplog.records if model_id in r.getMessage()]) == 1
    assert registry.get_model(model_id).loaded  # type: ignore[union-attr]  # others may serve it
