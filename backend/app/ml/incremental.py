"""Incremental training: an existing version continued on new rows, without starting over.
Pure: no web, no database; it runs inside a worker process like `train_model`.

The new rows are cleaned by the parent's own preprocessor and split as a fit splits its
dataset; the model learns the training part and is scored on the held-out part."""

import time
from pathlib import Path

from app.ml import seen_texts
from app.ml.artifacts import ArtifactError, load_bundle, save_bundle
from app.ml.bundle import TrainedModel
from app.ml.cross_fitting import metrics_at
from app.ml.labels import Label
from app.ml.progress import ProgressFn, scaled
from app.ml.thresholds import fit_thresholds
from app.ml.training import TrainResult, TrainSpec
from app.ml.training_data import (
    TrainingError,
    cleaning_report,
    read_training_frame,
    split_dataset,
)
from shared.schemas import ModelKind
from shared.schemas.params import parse_params

# kinds that continue training; the others are retrained (the service says so first)
CONTINUABLE = frozenset({ModelKind.SGD, ModelKind.KERAS_CNN, ModelKind.KERAS_BILSTM})


def unknown_classes(model_classes: list[Label], labels: list[Label]) -> list[Label]:
    """Labels of the increment that the model has no output for."""
    known = {str(c) for c in model_classes}
    return sorted({y for y in labels if str(y) not in known}, key=str)


def _continue(
    model: TrainedModel,
    spec: TrainSpec,
    texts: list[str],
    labels: list[Label],
    progress: ProgressFn,
) -> tuple[TrainedModel, dict[str, list[float]] | None]:
    kind = ModelKind(spec.kind)
    if kind == ModelKind.SGD:
        from app.ml.sgd_model import continue_sgd
        from app.ml.sklearn_models import SklearnTrainedModel

        assert isinstance(model, SklearnTrainedModel)
        return continue_sgd(
            model, texts=texts, labels=labels, epochs=spec.epochs, progress=progress
        ), None
    if kind.is_keras:
        from app.ml.keras_incremental import continue_keras
        from app.ml.keras_models import KerasTrainedModel

        assert isinstance(model, KerasTrainedModel)
        params = parse_params(spec.kind, spec.params)
        return continue_keras(
            model,
            texts=texts,
            labels=labels,
            params=params,  # type: ignore[arg-type]
            epochs=spec.epochs,
            progress=progress,
            random_state=spec.random_state,
        )
    raise TrainingError(f"model kind {spec.kind!r} cannot continue training; retrain it")


def continue_training(spec: TrainSpec, progress: ProgressFn) -> TrainResult:
    started = time.perf_counter()
    if spec.parent_artifact_path is None:
        raise TrainingError("incremental training needs the parent's model file")
    progress(0.02, "loading the parent model")
    try:
        model = load_bundle(
            Path(spec.parent_artifact_path), expected_sha256=spec.parent_sha256 or ""
        )
    except ArtifactError as exc:
        raise TrainingError(f"the parent model cannot be read: {exc}") from exc
    progress(0.08, "loading the new rows")
    df = read_training_frame(spec.dataset_path, spec.text_column, spec.label_column)
    split = split_dataset(
        df,
        text_column=spec.text_column,
        label_column=spec.label_column,
        preprocessor=model.preprocessor,
        test_size=spec.test_size,
        random_state=spec.random_state,
    )
    # rows the parent (or one before it) learnt are trained on again, not held out
    split, seen_held_out = seen_texts.unseen_held_out(split, model.trained_texts)
    x_train, x_test = split.texts(split.train), split.texts(split.test)
    y_train, y_test = split.labels(split.train), split.labels(split.test)
    _check_held_out(y_test, seen_held_out)
    new = unknown_classes(model.classes, y_train + y_test)
    if new:
        raise TrainingError(
            f"the new rows have classes the model does not know ({new[:10]}); retrain instead"
        )
    known = _known_share(model, x_train)  # before: a continuation keeps the vocabulary
    parent_seen = model.trained_texts
    try:
        model, history = _continue(model, spec, x_train, y_train, scaled(progress, 0.12, 0.85))
    except ValueError as exc:
        raise TrainingError(f"incremental training failed: {exc}") from exc
    model.trained_texts = seen_texts.union(parent_seen, seen_texts.digests(x_train))

    progress(0.87, f"evaluating on {len(x_test):,} held-out texts")
    holdout_proba = model.predict_proba_cleaned(x_test)
    # chosen again on the new held-out rows, by the parent's objective (or the default);
    # the figures at those thresholds, as its predictions decide, cross-fitted (as a fit's)
    thresholds = fit_thresholds(y_test, holdout_proba, model.classes, spec.threshold_objective)
    metrics = metrics_at(y_test, holdout_proba, model.classes, thresholds)
    metrics["n_train"] = len(x_train)
    train_seconds = time.perf_counter() - started
    progress(0.95, "saving the model")
    manifest = {
        **spec.manifest,
        "kind": spec.kind,
        "params": spec.params,
        "text_column": spec.text_column,
        "label_column": spec.label_column,
        "random_state": spec.random_state,
        "metrics": metrics,
        "thresholds": thresholds,  # so an imported copy decides as this one does
    }
    report = {
        **cleaning_report(split, df),
        "known_token_share": known,
        # None: the parent's bundle keeps no digests, so nothing could be checked
        "held_out_seen_by_parent": seen_held_out if parent_seen is not None else None,
    }
    manifest["preprocessing_report"] = report
    sha = save_bundle(model, Path(spec.artifact_path), manifest=manifest)
    progress(1.0, "done")
    return TrainResult(
        classes=model.classes,
        metrics=metrics,
        history=history,
        train_seconds=round(train_seconds, 3),
        artifact_sha256=sha,
        preprocessing_report=report,
        # the parent's, unchanged: a continued model splits and weighs text as it did
        preprocessing=model.preprocessor.config.model_dump(mode="json"),
        params=spec.params,
        thresholds=thresholds,
    )


def _check_held_out(labels: list[Label], moved: int) -> None:
    """After the rows the parent learnt left the held-out part: enough of it to score."""
    if len(set(map(str, labels))) >= 2 or not moved:
        return
    left = "no held-out row is" if not labels else "the held-out rows that are left hold one class"
    raise TrainingError(
        f"{moved:,} of the new data's held-out rows are texts the parent model trained on, "
        f"so they cannot test it, and {left} left: continue on rows it has not seen, or "
        "retrain"
    )


def _known_share(model: TrainedModel, texts: list[str]) -> float | None:
    """The mean share of the texts' tokens the model knows (None: no text has tokens). New
    rows in another language, or of another domain, score low: the continuation can learn
    little from words its vocabulary has no place for."""
    shares = [s for s in model.known_token_share(texts) if s is not None]
    return round(sum(shares) / len(shares), 4) if shares else None
