"""New versions made from an existing one: retrain (start over, on the parent's data, new
data or both) and incremental training (continue the parent on new rows). Both run as
background tasks through the training service, like a fit, and record their lineage."""

from pathlib import Path

from pydantic import ValidationError

from app.core.errors import ConflictError, InvalidFieldsError, InvalidInputError
from app.ml.incremental import CONTINUABLE, unknown_classes
from app.ml.labels import Label, normalise_labels
from app.ml.training import TrainSpec
from app.ml.training_data import TrainingError, check_splittable
from app.registry.entities import DatasetRecord, ModelRecord, TaskRecord
from app.services.datasets import DatasetService
from app.services.models import ModelService
from app.services.multilabel_checks import check_label_matrix
from app.services.training import TrainingService
from app.services.training_specs import (
    check_params_fit,
    child_record,
    learnt_from_ids,
    lineage_dataset,
    manifest_of,
    objective_of,
    require_data_here,
    require_installed,
)
from shared.schemas import (
    IncrementalRequest,
    ModelKind,
    ModelSource,
    ModelStatus,
    RetrainRequest,
)
from shared.schemas.params import default_params, parse_params


class VersionService:
    def __init__(
        self, *, models: ModelService, datasets: DatasetService, training: TrainingService
    ) -> None:
        self.models = models
        self.datasets = datasets
        self.training = training

    def retrain(self, parent_id: str, request: RetrainRequest) -> tuple[TaskRecord, ModelRecord]:
        parent = self._ready_parent(parent_id)
        datasets = self._retrain_datasets(parent, request)
        # params stored before char n-grams existed had none: a retrain keeps it that way
        # (the new default would add them)
        old = (
            {"char_ngram_range": None}
            if "char_ngram_range" in default_params(parent.kind)
            and "char_ngram_range" not in parent.params
            else {}
        )
        inner = (request.params or {}).get("kind")
        if inner is not None and str(inner) != str(parent.kind):
            raise InvalidInputError(
                f"params.kind {inner!r} contradicts the parent's kind {str(parent.kind)!r}: a "
                "retrain keeps its parent's kind; leave params.kind out, or fit a new name "
                "for another kind"
            )
        try:
            params = parse_params(parent.kind, {**old, **parent.params, **(request.params or {})})
        except ValidationError as exc:
            raise InvalidFieldsError(exc.errors(), at=("params",)) from exc
        preprocessing = request.preprocessing or parent.preprocessing
        labels = []  # each one's: "both" joins them only in the worker
        for dataset in datasets:
            labels.extend(self._check_labels(parent, dataset))
        if not parent.label_columns:
            check_params_fit(params, labels, parent.label_column, parent.test_size)
        record = child_record(
            parent,
            datasets[0],
            source=ModelSource.RETRAIN,
            lineage=[lineage_dataset(d) for d in datasets],
            description=request.description,
        ).model_copy(update={"params": params.to_public(), "preprocessing": preprocessing})
        paths = [str(self.datasets.datasets_dir / d.file) for d in datasets]

        def spec(model: ModelRecord, artifact: Path) -> TrainSpec:
            return TrainSpec(
                dataset_path=paths[0],
                extra_dataset_paths=paths[1:],
                kind=parent.kind,
                params=params.to_public(),
                preprocessing=preprocessing.model_dump(),
                text_column=parent.text_column,
                label_column=parent.label_column,
                test_size=parent.test_size,
                random_state=parent.random_state,
                artifact_path=str(artifact),
                manifest=manifest_of(model),
                label_columns=parent.label_columns,
                threshold_objective=objective_of(parent),
            )

        return self.training.queue(record, datasets[0], spec)

    def continue_training(
        self, parent_id: str, request: IncrementalRequest
    ) -> tuple[TaskRecord, ModelRecord]:
        parent = self._ready_parent(parent_id)
        if parent.label_columns:
            raise ConflictError(
                "a multi-label model cannot continue training yet; retrain it instead "
                f"(POST /api/v1/models/{parent.id}/retrain)"
            )
        if ModelKind(parent.kind) not in CONTINUABLE:
            raise ConflictError(
                f"model kind {parent.kind} cannot continue training (its vocabulary and "
                f"classifier are fitted at once); retrain it instead: POST "
                f"/api/v1/models/{parent.id}/retrain with data 'both' and this dataset_id. "
                f"Kinds that continue: {', '.join(sorted(CONTINUABLE))}"
            )
        dataset = self.datasets.get(request.dataset_id)
        labels = self._check_labels(parent, dataset)
        new = unknown_classes(parent.classes, labels)
        if new:
            raise InvalidInputError(
                f"the new rows have {len(new)} class(es) model {parent.id} does not know "
                f"({', '.join(map(str, new[:10]))}); a {parent.kind} model cannot add "
                f"classes: retrain it instead (POST /api/v1/models/{parent.id}/retrain)"
            )
        known = {d.sha256 for d in parent.lineage_datasets}
        lineage = [
            *parent.lineage_datasets,
            *([lineage_dataset(dataset)] if dataset.sha256 not in known else []),
        ]
        record = child_record(
            parent,
            dataset,
            source=ModelSource.INCREMENTAL,
            lineage=lineage,
            description=request.description,
        )

        def spec(model: ModelRecord, artifact: Path) -> TrainSpec:
            return TrainSpec(
                dataset_path=str(self.datasets.datasets_dir / dataset.file),
                kind=parent.kind,
                params=parent.params,
                preprocessing=parent.preprocessing.model_dump(),
                text_column=parent.text_column,
                label_column=parent.label_column,
                test_size=parent.test_size,
                random_state=parent.random_state,
                artifact_path=str(artifact),
                manifest={**manifest_of(model), "epochs": request.epochs},
                parent_artifact_path=str(self.models.models_dir / (parent.artifact_file or "")),
                parent_sha256=parent.artifact_sha256,
                epochs=request.epochs,
                threshold_objective=objective_of(parent),
            )

        return self.training.queue(record, dataset, spec)

    # helpers
    def _ready_parent(self, parent_id: str) -> ModelRecord:
        parent = self.models.get(parent_id)
        if parent.status != ModelStatus.READY:
            raise ConflictError(
                f"model {parent.id} is {parent.status}; only a trained (ready) version can "
                "be the parent of a new one"
            )
        require_installed(parent.kind)
        return parent

    def _retrain_datasets(
        self, parent: ModelRecord, request: RetrainRequest
    ) -> list[DatasetRecord]:
        datasets = []  # the request's own rules (data and dataset_id) are its schema's
        if request.data in ("parent", "both"):
            require_data_here(parent)
            names = {d.id: d.name for d in parent.lineage_datasets}
            for dataset_id in learnt_from_ids(parent):
                found = self.datasets.registry.get_dataset(dataset_id) if dataset_id else None
                if found is None:
                    name = names.get(dataset_id) if dataset_id else parent.dataset_name
                    raise ConflictError(
                        f"a dataset model {parent.id} was trained on ({name}) has been "
                        "deleted; retrain it on a new dataset (data 'new')"
                    )
                datasets.append(found)
        if request.dataset_id is not None:
            dataset = self.datasets.get(request.dataset_id)
            if dataset.id not in {d.id for d in datasets}:
                datasets.append(dataset)
        return datasets

    def _check_labels(self, parent: ModelRecord, dataset: DatasetRecord) -> list[Label]:
        """The dataset's labels, after checking it has the parent's columns and can be
        split as the parent's data was (a multi-label parent: every label column)."""
        if parent.label_columns:
            self.datasets.require_columns(dataset, parent.text_column, *parent.label_columns)
            check_label_matrix(self.datasets, dataset.id, parent.label_columns, parent.test_size)
            return []
        self.datasets.require_columns(dataset, parent.text_column, parent.label_column)
        frame = self.datasets.read_columns(dataset.id, parent.label_column)
        labels = [v for v in normalise_labels(frame[parent.label_column]) if v != ""]
        try:
            check_splittable(labels, parent.test_size, parent.label_column)
        except TrainingError as exc:
            raise InvalidInputError(f"dataset {dataset.id}: {exc}") from exc
        return labels
