"""A version as its bundle file: exported for download, imported from another
installation. An import is checked before it is kept: its sha256 against the one the
client states, its manifest validated and every entry read against its CRC-32, and only
then, with nothing wrong so far, loaded as a load would (its payload unpickled, its
classes checked against the manifest's) and let go of."""

import contextlib
import logging
import re
import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from app.core.errors import MODELS_FOLDER, ConflictError, InvalidInputError, storage_error
from app.ml.artifacts import ArtifactError, load_bundle, remove_artifact, sha256_file
from app.ml.bundle_check import inspect_bundle
from app.registry.base import Registry
from app.registry.entities import ModelRecord
from app.registry.tables import utcnow
from app.services.models import ModelService
from app.services.training_specs import require_installed
from shared.schemas import LineageDataset, Metrics, ModelSource, ModelStatus, PreprocessingReport
from shared.schemas.strings import MODEL_NAME_MAX, NAME_PATTERN, PATTERN_WORDS
from shared.schemas.thresholds import DecisionThresholds

log = logging.getLogger(__name__)
SHA256_LENGTH = 64


@dataclass(frozen=True)
class BundleFile:
    path: Path
    download_name: str
    sha256: str


class BundleService:
    def __init__(self, *, registry: Registry, models: ModelService) -> None:
        self.registry = registry
        self.models = models

    def export(self, model_id: str) -> BundleFile:
        model = self.models.get(model_id)
        if model.status != ModelStatus.READY or not model.artifact_file:
            raise ConflictError(f"model {model.id} is {model.status}; it has no bundle yet")
        path = self.models.models_dir / model.artifact_file
        if not path.is_file() or sha256_file(path) != model.artifact_sha256:
            raise ConflictError(
                f"model {model.id}'s file is missing or has changed since it was saved; "
                "it is not sent"
            )
        return BundleFile(path, f"{model.name}-v{model.version}.zip", model.artifact_sha256)

    def import_bundle(
        self, upload: Path, *, actual_sha256: str, expected_sha256: str, name: str | None
    ) -> ModelRecord:
        """Keep an uploaded bundle as the next version of its name (or `name`). The upload
        is moved into the models folder or removed."""
        try:
            return self._import(upload, actual_sha256, expected_sha256.lower(), name)
        finally:
            upload.unlink(missing_ok=True)

    def _import(self, upload: Path, actual: str, expected: str, name: str | None) -> ModelRecord:
        if len(expected) != SHA256_LENGTH or any(c not in "0123456789abcdef" for c in expected):
            raise InvalidInputError("sha256 must be the bundle's SHA-256, 64 hex digits")
        if actual != expected:
            raise InvalidInputError(
                f"the uploaded file's sha256 is {actual}, not {expected}: it changed on the "
                "way or is another file; nothing was imported"
            )
        try:
            info = inspect_bundle(upload)
        except ArtifactError as exc:
            raise InvalidInputError(f"not an importable bundle: {exc}") from exc
        require_installed(info.kind)
        manifest = info.manifest
        model_id = uuid.uuid4().hex
        artifact = self.models.models_dir / f"{model_id}.zip"
        lineage = manifest.get("lineage") or {}
        datasets = [LineageDataset.model_validate(d) for d in lineage.get("datasets") or []]
        # bundles from before the manifest named its dataset: the lineage's last one
        named = manifest.get("dataset")
        own: dict[str, Any] = named if isinstance(named, dict) else {}
        try:
            metrics = (
                Metrics.model_validate(manifest["metrics"]) if manifest.get("metrics") else None
            )
            thresholds = (
                DecisionThresholds.model_validate(manifest["thresholds"])
                if manifest.get("thresholds")
                else None
            )
            # bundles from before the manifest carried it: none, as an import had before
            report = (
                PreprocessingReport.model_validate(manifest["preprocessing_report"])
                if manifest.get("preprocessing_report")
                else None
            )
        except ValidationError as exc:
            raise InvalidInputError(
                f"the manifest's metrics, thresholds or preprocessing report are not valid: {exc}"
            ) from exc
        record = ModelRecord(
            id=model_id,
            name=name or _manifest_name(manifest),
            version=0,
            kind=info.kind,
            description=str(manifest.get("description") or "")[:2000],
            status=ModelStatus.READY,
            is_default=False,
            loaded=False,
            params=info.params,
            preprocessing=info.preprocessing,
            dataset_id=None,
            dataset_name=own.get("name") or (datasets[-1].name if datasets else None),
            dataset_sha256=own.get("sha256") or (datasets[-1].sha256 if datasets else None),
            text_column=manifest["text_column"],
            label_column=manifest["label_column"],
            label_names=manifest.get("label_names") or {},
            label_columns=info.label_columns,
            thresholds=thresholds,
            preprocessing_report=report,
            classes=info.classes,
            metrics=metrics,
            train_seconds=None,
            test_size=float(manifest.get("test_size") or 0.2),
            random_state=int(manifest.get("random_state") or 0),
            created_at=utcnow(),
            artifact_file=artifact.name,
            artifact_sha256=actual,
            source=ModelSource.IMPORT,
            lineage_datasets=datasets,
        )
        try:
            self.models.models_dir.mkdir(parents=True, exist_ok=True)
            shutil.move(upload, artifact)  # a copy when the folders are on two file systems
        except OSError as exc:
            with contextlib.suppress(OSError):
                artifact.unlink(missing_ok=True)  # a partial copy
            raise storage_error(exc, "the bundle could not be stored", MODELS_FOLDER) from exc
        try:
            self._check_loads(artifact, actual)
            stored = self.registry.add_model_version(record)
        except Exception:
            remove_artifact(artifact)
            raise
        log.info(
            "model %s imported as %s v%d (%s, from model %s)",
            model_id,
            stored.name,
            stored.version,
            stored.kind,
            manifest.get("model_id"),
        )
        return stored

    def _check_loads(self, artifact: Path, sha256: str) -> None:
        """The bundle loads as a load would load it (its sha256 checked first, in the
        models folder like every bundle), and its payload's classes are the manifest's;
        the model is let go of at once (an import is not loaded)."""
        try:
            load_bundle(artifact, expected_sha256=sha256, what="the bundle")
        except ArtifactError as exc:
            raise InvalidInputError(f"not an importable bundle: {exc}") from exc


def _manifest_name(manifest: dict[str, Any]) -> str:
    """The name the bundle gives its model ("imported" when none): a name the API can
    address (a reference splits at '@' and ':'), or the import says to give one."""
    named = str(manifest.get("name") or "imported")
    if len(named) > MODEL_NAME_MAX or not re.fullmatch(NAME_PATTERN, named):
        raise InvalidInputError(
            f"the bundle names its model {named[:120]!r}, which is not a valid model name "
            f"(at most {MODEL_NAME_MAX} {PATTERN_WORDS[NAME_PATTERN]}): give the import a name"
        )
    return named
