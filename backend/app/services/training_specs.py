"""How a request becomes a version: its record (fit, or a child of a parent: retrain,
incremental, feedback), its lineage and the manifest its bundle carries."""

import uuid
from collections.abc import Sequence
from typing import Any

from app.core.errors import ConflictError, InvalidInputError
from app.ml.kinds import missing_library
from app.ml.labels import Label, normalise_labels
from app.ml.training_data import TrainingError, check_splittable
from app.registry.entities import DatasetRecord, ModelRecord
from app.registry.tables import utcnow
from app.services.datasets import DatasetService
from shared.schemas import FitRequest, LineageDataset, ModelSource, ModelStatus


def require_installed(kind: str) -> None:
    """A kind whose library this install lacks (the lean image has no TensorFlow) is
    refused with a clear 422, never a failed task."""
    library = missing_library(kind)
    if library is not None:
        raise InvalidInputError(
            f"model kind {kind!r} needs {library}, which is not installed in this image "
            "(it was built without it: KERAS=false); use a scikit-learn kind or the full image"
        )


def lineage_dataset(dataset: DatasetRecord) -> LineageDataset:
    return LineageDataset(
        id=dataset.id, name=dataset.name, sha256=dataset.sha256, rows=dataset.rows
    )


def fit_dataset_ids(model: ModelRecord) -> list[str | None] | None:
    """The datasets the version's own fit read, in order: several for a retrain on `both`
    (concatenated, repeated rows dropped; its lineage lists exactly them), else its
    `dataset_id` (a version continued on new rows or retrained from feedback splits only
    that dataset, though its lineage lists more). None: a version this install did not
    fit (imported; a thresholds version has its parent's)."""
    if model.source in (ModelSource.IMPORT, ModelSource.THRESHOLDS):
        return None
    if model.source == ModelSource.RETRAIN and model.lineage_datasets:
        return [d.id for d in model.lineage_datasets]
    return [model.dataset_id]


def learnt_from_ids(model: ModelRecord) -> list[str | None]:
    """The datasets a version learnt from, in order: a retrain's on its parent's data.
    Every dataset of its lineage for a retrain (what its fit read) and a continuation (its
    parent's data, then the new rows); else its `dataset_id` (a retrain from feedback
    read one dataset that holds its parent's rows with the feedback)."""
    if model.source in (ModelSource.RETRAIN, ModelSource.INCREMENTAL) and model.lineage_datasets:
        return [d.id for d in model.lineage_datasets]
    return [model.dataset_id]


def manifest_of(model: ModelRecord) -> dict[str, Any]:
    """What a bundle says about the version it holds, besides what training adds."""
    return {
        "model_id": model.id,
        "name": model.name,
        "version": model.version,
        "description": model.description,
        "test_size": model.test_size,
        "label_names": model.label_names,
        # the dataset the version names as its own (a retrain on both: the parent's, the
        # first of its lineage's; an increment: the new rows'), kept through an import
        "dataset": {"name": model.dataset_name, "sha256": model.dataset_sha256},
        "lineage": {
            "parent_id": model.parent_id,
            "parent_version": model.parent_version,
            "source": str(model.source),
            "datasets": [d.model_dump() for d in model.lineage_datasets],
        },
    }


def fit_record(
    request: FitRequest, model_id: str, dataset: DatasetRecord, *, is_default: bool
) -> ModelRecord:
    return ModelRecord(
        id=model_id,
        name=request.name,
        version=0,
        kind=request.kind,
        description=request.description,
        status=ModelStatus.TRAINING,
        is_default=is_default,
        loaded=False,
        params=request.params.to_public(),
        preprocessing=request.preprocessing,
        dataset_id=dataset.id,
        dataset_name=dataset.name,
        dataset_sha256=dataset.sha256,
        text_column=request.text_column,
        label_column=request.label_column,
        label_columns=request.label_columns,
        label_names=request.label_names,
        classes=[],
        metrics=None,
        train_seconds=None,
        test_size=request.test_size,
        random_state=request.random_state,
        created_at=utcnow(),
        artifact_file=f"{model_id}.zip",
        source=ModelSource.FIT,
        lineage_datasets=[lineage_dataset(dataset)],
    )


def child_record(
    parent: ModelRecord,
    dataset: DatasetRecord,
    *,
    source: ModelSource,
    lineage: list[LineageDataset],
    description: str | None,
) -> ModelRecord:
    model_id = uuid.uuid4().hex
    return parent.model_copy(
        update={
            "id": model_id,
            "version": 0,
            "description": parent.description if description is None else description,
            "status": ModelStatus.TRAINING,
            "is_default": False,
            "loaded": False,
            "classes": [],
            "metrics": None,
            "history": None,
            "train_seconds": None,
            "artifact_sha256": None,
            "preprocessing_report": None,
            "thresholds": None,  # chosen again at its fit; the history is the parent's
            "threshold_history": [],
            "error": None,
            "created_at": utcnow(),
            "artifact_file": f"{model_id}.zip",
            "parent_id": parent.id,
            "parent_version": parent.version,
            "source": source,
            "lineage_datasets": lineage,
            # the dataset its own task trains on (and its held-out rows come from)
            "dataset_id": dataset.id,
            "dataset_name": dataset.name,
            "dataset_sha256": dataset.sha256,
            "split_column": None,  # drawn again from test_size unless the caller gives one
        }
    )


def objective_of(parent: ModelRecord) -> dict[str, object] | None:
    """The objective the parent's threshold was chosen by, for the child to choose its own
    by (None: the default, max F1; also when the parent's was set by hand)."""
    chosen = parent.thresholds
    if chosen is None or chosen.objective is None:
        return None
    return chosen.objective.model_dump(mode="json")


def check_fit_labels(
    datasets: DatasetService, request: FitRequest, max_classes: int | None
) -> None:
    """A fit's label column: at most `max_classes` classes, splittable as asked, and a
    display name only for a value it has."""
    frame = datasets.read_columns(request.dataset_id, request.label_column)
    labels = [v for v in normalise_labels(frame[request.label_column]) if v != ""]
    classes = len(set(labels))
    if max_classes is not None and classes > max_classes:
        raise InvalidInputError(
            f"label column {request.label_column!r} has {classes:,} classes; the limit is "
            f"{max_classes:,} (MAX_CLASSES)"
        )
    try:
        check_splittable(labels, request.test_size, request.label_column)
    except TrainingError as exc:
        raise InvalidInputError(str(exc)) from exc
    check_params_fit(request.params, labels, request.label_column, request.test_size)
    _check_label_names(request, {str(label) for label in labels})


def check_params_fit(
    params: object, labels: Sequence[Label], label_column: str, test_size: float
) -> None:
    """Params that cannot fit these labels, refused before a worker finds out: liblinear
    on more than two classes, and a min_df above the texts a fit would train on (cleaning
    can drop rows too: that case still fails in the worker, naming both)."""
    classes = len({str(label) for label in labels})  # 1 and "1" are one class, as in a fit
    if getattr(params, "solver", None) == "liblinear" and classes > 2:
        raise InvalidInputError(
            f"params.solver 'liblinear' handles two classes only and label column "
            f"{label_column!r} has {classes:,}; use solver 'auto', 'lbfgs' or 'saga'"
        )
    n_train = len(labels) - round(len(labels) * test_size)
    min_df = getattr(params, "min_df", None)
    if isinstance(min_df, int) and min_df > n_train:
        raise InvalidInputError(
            f"params.min_df {min_df:,} is more than the {n_train:,} texts a fit on label column "
            f"{label_column!r} trains on (test_size {test_size:g}): no term would be kept; "
            "lower min_df"
        )


def _check_label_names(request: FitRequest, classes: set[str]) -> None:
    """Display names are keyed by label value; one for a value the column does not have (a
    typo, "l" for "1") would silently never be shown."""
    unknown = sorted(set(request.label_names) - classes)
    if unknown:
        known = ", ".join(repr(c) for c in sorted(classes)[:20])
        raise InvalidInputError(
            f"label_names names {', '.join(repr(u) for u in unknown[:10])}, not a value of "
            f"label column {request.label_column!r}; its values are {known}"
        )


def require_data_here(parent: ModelRecord, then: str = "") -> None:
    """An imported version's training data was never in this installation: 409 for what
    needs it (a retrain on its data, a retrain from feedback), saying what to do instead
    (`then`: what follows that retrain)."""
    if parent.source == ModelSource.IMPORT:
        raise ConflictError(
            f"model {parent.id} was imported: the data it was trained on "
            f"({parent.dataset_name}) is not in this installation; retrain it on a dataset "
            f"here (POST /api/v1/models/{parent.id}/retrain with data 'new'){then}"
        )
