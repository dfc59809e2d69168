"""The start-up sweep: model files (and files derived from them) exist only for READY
models, and READY models have one; files no record knows are set aside in `orphaned/`."""

from pathlib import Path

from app.registry.entities import ModelRecord
from app.registry.sql import SqlRegistry
from app.services.memory import LoadedModels
from app.services.models import ModelService
from shared.schemas import ModelStatus
from testkit.records import model_record


def record(model_id: str, status: ModelStatus) -> ModelRecord:
    return model_record(
        model_id,
        status=status,
        loaded=status == ModelStatus.READY,
        artifact_file=f"{model_id}.zip",
    )


def test_sweep_at_start_up(tmp_path: Path) -> None:
    registry = SqlRegistry(f"sqlite:///{tmp_path / 'registry.db'}")
    models_dir = tmp_path / "models"
    models_dir.mkdir()
    for model_id, status in [
        ("kept", ModelStatus.READY),
        ("lost", ModelStatus.READY),  # its file is gone
        ("failed", ModelStatus.FAILED),  # a late writer left its file
    ]:
        registry.add_model_version(record(model_id, status))
    names = ("kept.zip", "failed.zip", "stranger.zip", ".failed.lock", ".gitkeep")
    derived = ("kept.zip.drift.json", "failed.zip.drift.json", "gone.zip.drift.json")
    for name in names + derived:
        (models_dir / name).write_bytes(b"x")
    (models_dir / ".failed.abc123").mkdir()  # a worker's staging folder
    (models_dir / ".failed.abc123" / "bundle.zip").write_bytes(b"x")

    # files written a moment ago: no grace, so the strangers go (see the test below)
    ModelService(registry=registry, memory=LoadedModels(), models_dir=models_dir).clean_up(
        grace_s=0
    )

    # a derived file (a drift reference) stays only beside its ready model's bundle; what
    # a failed record left is removed; what no record knows is set aside, not deleted (the
    # registry that knows it may be another: a changed DATABASE_URL)
    assert {p.name for p in models_dir.iterdir()} == {
        "kept.zip",
        "kept.zip.drift.json",
        ".gitkeep",
        "orphaned",
    }
    assert {p.name for p in (models_dir / "orphaned").iterdir()} == {
        "stranger.zip",
        "gone.zip.drift.json",
    }
    lost = registry.get_model("lost")
    assert lost is not None and lost.status == ModelStatus.FAILED and not lost.loaded
    assert lost.error and "missing" in lost.error
    assert registry.get_model("kept").status == ModelStatus.READY  # type: ignore[union-attr]
    registry.close()


def test_the_sweep_keeps_another_replicas_fit_in_progress(tmp_path: Path) -> None:
    """Several replicas share MODELS_DIR: a replica starting up leaves alone the files of a
    model still training (another replica's fit: its lock file, its staging folder, the
    bundle it has just renamed into place) and a lock file of a fit being queued (no
    record yet, but a moment old); an old stranger is still set aside."""
    registry = SqlRegistry(f"sqlite:///{tmp_path / 'registry.db'}")
    models_dir = tmp_path / "models"
    models_dir.mkdir()
    registry.add_model_version(record("busy", ModelStatus.TRAINING))
    for name in ("busy.zip", ".busy.lock", ".queued.lock", "stranger.zip"):
        (models_dir / name).write_bytes(b"x")
    (models_dir / ".busy.abc123").mkdir()
    (models_dir / ".busy.abc123" / "bundle.zip").write_bytes(b"x")
    models = ModelService(registry=registry, memory=LoadedModels(), models_dir=models_dir)

    models.clean_up()  # everything is young: only the strangers' age could remove them
    assert {p.name for p in models_dir.iterdir()} == {
        "busy.zip",
        ".busy.lock",
        ".busy.abc123",
        ".queued.lock",
        "stranger.zip",
    }
    models.clean_up(grace_s=0)  # as if they were old: the stranger is set aside
    assert {p.name for p in models_dir.iterdir()} == {
        "busy.zip",
        ".busy.lock",
        ".busy.abc123",
        "orphaned",
    }
    assert [p.name for p in (models_dir / "orphaned").iterdir()] == ["stranger.zip"]
    registry.close()


def test_a_registry_that_knows_nothing_deletes_nothing(tmp_path: Path) -> None:
    """Started against another (empty) database, the sweep must not destroy the models of
    the one the folder belongs to: they are set aside, and moving them back restores them."""
    models_dir = tmp_path / "models"
    models_dir.mkdir()
    bundles = {"a.zip": b"bundle a", "b.zip": b"bundle b", "b.zip.drift.json": b"{}"}
    for name, content in bundles.items():
        (models_dir / name).write_bytes(content)
    (models_dir / "orphaned").mkdir()
    (models_dir / "orphaned" / "a.zip").write_bytes(b"an earlier one")  # kept too
    empty = SqlRegistry(f"sqlite:///{tmp_path / 'empty.db'}")
    ModelService(registry=empty, memory=LoadedModels(), models_dir=models_dir).clean_up(grace_s=0)
    aside = models_dir / "orphaned"
    assert {p.name: p.read_bytes() for p in aside.iterdir()} == {
        "a.zip": b"an earlier one",
        "a.zip.1": b"bundle a",  # a name already set aside gets a numbered suffix
        "b.zip": b"bundle b",
        "b.zip.drift.json": b"{}",
    }
    empty.close()
