"""The start-up sweep: model files (and files derived from them) exist only for READY
models, and READY models have one."""

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

    # a derived file (a drift reference) stays only beside its ready model's bundle
    assert {p.name for p in models_dir.iterdir()} == {"kept.zip", "kept.zip.drift.json", ".gitkeep"}
    lost = registry.get_model("lost")
    assert lost is not None and lost.status == ModelStatus.FAILED and not lost.loaded
    assert lost.error and "missing" in lost.error
    assert registry.get_model("kept").status == ModelStatus.READY  # type: ignore[union-attr]
    registry.close()


def test_the_sweep_keeps_another_replicas_fit_in_progress(tmp_path: Path) -> None:
    """Several replicas share MODELS_DIR: a replica starting up leaves alone the files of a
    model still training (another replica's fit: its lock file, its staging folder, the
    bundle it has just renamed into place) and a lock file of a fit being queued (no
    record yet, but a moment old); an old stranger still goes."""
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
    models.clean_up(grace_s=0)  # as if they were old
    assert {p.name for p in models_dir.iterdir()} == {"busy.zip", ".busy.lock", ".busy.abc123"}
    registry.close()
