"""Default models: trained from the demo data at first start, loaded at every start, and
never removed. The service is ready once they are in memory; a registry or a Dask
scheduler that cannot be reached yet is waited for (`StartUpWork`)."""

import hashlib
import logging
import shutil
from pathlib import Path

from app.core.errors import AppError
from app.registry.entities import ModelRecord
from app.services.datasets import DatasetService
from app.services.models import ModelService
from app.services.start_up import StartUpWork
from app.services.training import TrainingService
from shared.schemas import FitRequest, ModelKind, ModelStatus

log = logging.getLogger(__name__)

DEFAULT_MODELS: list[tuple[str, ModelKind, str]] = [
    (
        "toxic-logreg",
        ModelKind.LOGREG,
        "Default: logistic regression on word and character TF-IDF; flags toxic comments.",
    ),
    (
        "toxic-naive-bayes",
        ModelKind.NAIVE_BAYES,
        "Default: complement naive Bayes on word and character TF-IDF; flags toxic comments.",
    ),
]


LOCK = "textclf:default-models"  # the registry-wide lock around their first fit


class DefaultModels(StartUpWork):
    name = "the default models"

    def __init__(
        self,
        *,
        demo_path: Path,
        datasets: DatasetService,
        training: TrainingService,
        models: ModelService,
    ) -> None:
        super().__init__()
        self.demo_path = demo_path
        self.datasets = datasets
        self.training = training
        self.models = models
        # the fits queued by an attempt that a registry error ended: the next one waits for
        # them instead of queueing them again
        self._queued: dict[str, tuple[str, str, str]] = {}

    def prepare(self) -> None:
        # Several replicas starting at once: one trains what is missing while the
        # others wait here, then find it trained and only load it.
        with self.models.registry.exclusive(LOCK):
            models = self._existing_or_trained()
        for model in models:
            self.models.load(model.id)

    def _existing_or_trained(self) -> list[ModelRecord]:
        existing = [self._existing(name) for name, _, _ in DEFAULT_MODELS]
        if all(existing):
            return [m for m in existing if m is not None]
        # a scheduler not up yet is waited for, before any fit is queued (and fails)
        self.training.runner.check_reachable()
        dataset_id = self._demo_dataset()
        # the missing ones are queued together, so the training pool fits them at once
        queued = [
            found or self._queue(name, kind, description, dataset_id)
            for found, (name, kind, description) in zip(existing, DEFAULT_MODELS, strict=True)
        ]
        return [item if isinstance(item, ModelRecord) else self._trained(*item) for item in queued]

    def _demo_dataset(self) -> str:
        if not self.demo_path.is_file():
            raise AppError(f"the demo data {self.demo_path} is missing")
        sha = hashlib.sha256(self.demo_path.read_bytes()).hexdigest()
        self.datasets.incoming_dir.mkdir(parents=True, exist_ok=True)
        copy = self.datasets.new_part()
        shutil.copyfile(self.demo_path, copy)
        dataset, _ = self.datasets.ingest(
            path=copy, filename=self.demo_path.name, sha256=sha, name="demo data"
        )
        return dataset.id

    def _existing(self, name: str) -> ModelRecord | None:
        candidates = [
            m
            for m in self.models.all()
            if m.name == name and m.is_default and m.status == ModelStatus.READY
        ]
        for model in sorted(candidates, key=lambda m: m.version, reverse=True):
            try:
                self.models.read_bundle(model)
                return model
            except AppError as exc:
                log.error(
                    "default model %s v%d is unusable (%s); retraining", name, model.version, exc
                )
        return None

    def _queue(
        self, name: str, kind: ModelKind, description: str, dataset_id: str
    ) -> tuple[str, str, str]:
        """Queue the fit of a default model: (its name, task id, model id)."""
        if name in self._queued:
            return self._queued[name]
        log.info("training default model %s (%s)", name, kind)
        request = FitRequest.model_validate(
            {"name": name, "kind": kind, "description": description, "dataset_id": dataset_id}
        )
        task, model = self.training.fit(request, is_default=True)
        self._queued[name] = (name, task.id, model.id)
        return self._queued[name]

    def _trained(self, name: str, task_id: str, model_id: str) -> ModelRecord:
        self.training.wait(task_id)
        trained = self.models.get(model_id)
        if trained.status != ModelStatus.READY:
            raise AppError(f"default model {name} failed to train: {trained.error}")
        return trained
