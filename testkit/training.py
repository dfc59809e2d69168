"""A real TrainingService for the service tests (its own process pool, over the registry
given), with its datasets and models under one folder, and datasets stored as an upload
stores them; and a fit's spec for the tests that train without the service."""

import hashlib
from pathlib import Path
from typing import Any

from app.ml.training import TrainSpec
from app.registry.sql import SqlRegistry
from app.services.datasets import DatasetService
from app.services.heartbeats import Heartbeat
from app.services.training import TrainingService


def training_service(
    registry: SqlRegistry,
    root: Path,
    *,
    workers: int = 2,
    idle_seconds: float = 60,
    replica: str | None = None,
    heartbeat: Heartbeat | None = None,
    start: bool = True,
) -> TrainingService:
    """Datasets under `root`/datasets, models under `root`/models; started unless not
    `start` (the caller stops it)."""
    datasets = DatasetService(registry=registry, datasets_dir=root / "datasets")
    datasets.incoming_dir.mkdir(parents=True, exist_ok=True)
    service = TrainingService(
        registry=registry,
        datasets=datasets,
        models_dir=root / "models",
        workers=workers,
        idle_seconds=idle_seconds,
        replica=replica,
        heartbeat=heartbeat,
    )
    if start:
        service.start()
    return service


def ingest_csv(datasets: DatasetService, content: bytes, name: str) -> str:
    """Store `content` as the dataset `name`: its id."""
    upload = datasets.new_part()
    upload.write_bytes(content)
    sha = hashlib.sha256(content).hexdigest()
    dataset, _ = datasets.ingest(path=upload, filename=f"{name}.csv", sha256=sha, name=name)
    return dataset.id


def train_spec(dataset: Path, artifact: Path, **overrides: Any) -> TrainSpec:
    """A fit's spec as the service hands it to a worker: a logreg over the sample CSVs'
    columns (`comment_text`, `toxic`), 20 % held out; `overrides` replace any field."""
    values: dict[str, Any] = {
        "dataset_path": str(dataset),
        "kind": "logreg",
        "params": {},
        "preprocessing": {},
        "text_column": "comment_text",
        "label_column": "toxic",
        "test_size": 0.2,
        "random_state": 1,
        "artifact_path": str(artifact),
    }
    return TrainSpec(**{**values, **overrides})
