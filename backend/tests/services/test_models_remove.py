"""Removing a model whose file cannot be deleted: the model is removed all the same (no
record names the file any more), the answer is not an error, and the log says where the
file is; the next start-up's sweep sets it aside."""

import logging
from pathlib import Path

import pytest

from app.registry.sql import SqlRegistry
from app.services.memory import LoadedModels
from app.services.models import ModelService
from shared.schemas import ModelStatus
from testkit.records import model_record


def test_a_file_that_cannot_be_deleted_does_not_undo_the_removal(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    registry = SqlRegistry(f"sqlite:///{tmp_path / 'registry.db'}")
    models_dir = tmp_path / "models"
    (models_dir / "stuck.zip").mkdir(parents=True)  # unlink() fails on it (EISDIR)
    registry.add_model_version(
        model_record("stuck", status=ModelStatus.READY, artifact_file="stuck.zip")
    )
    models = ModelService(registry=registry, memory=LoadedModels(), models_dir=models_dir)
    with caplog.at_level(logging.WARNING):
        models.remove("stuck")
    assert registry.get_model("stuck") is None
    assert "could not be deleted" in caplog.text and "stuck.zip" in caplog.text
    models.clean_up(grace_s=0)  # what no record knows is set aside at the next start
    assert (models_dir / "orphaned" / "stuck.zip").is_dir()
    registry.close()
