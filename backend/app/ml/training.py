"""One training run from a CSV on disk to a saved bundle: load, preprocess, split, fit,
evaluate, save. Pure: no web, no database; it runs inside a worker process."""

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from app.ml import chinese, seen_texts
from app.ml.artifacts import save_bundle
from app.ml.cross_fitting import metrics_at
from app.ml.kinds import trainer_for, uses_tensorflow
from app.ml.labels import Label
from app.ml.language import resolve_auto
from app.ml.preprocessing import Preprocessor
from app.ml.progress import ProgressFn, scaled
from app.ml.thresholds import fit_thresholds
from app.ml.training_data import (
    TrainingError,
    cleaning_report,
    read_training_frames,
    split_dataset,
)
from shared.schemas import PreprocessingConfig
from shared.schemas.params import parse_params


@dataclass
class TrainSpec:
    dataset_path: str
    kind: str
    params: dict[str, Any]
    preprocessing: dict[str, Any]
    text_column: str
    label_column: str
    test_size: float
    random_state: int
    artifact_path: str
    manifest: dict[str, Any] = field(default_factory=dict)
    # retrain on both datasets: these are concatenated after the first (duplicates dropped)
    extra_dataset_paths: list[str] = field(default_factory=list)
    # incremental training: the parent's bundle, continued for `epochs` on the dataset
    parent_artifact_path: str | None = None
    parent_sha256: str | None = None
    epochs: int = 1
    threshold_objective: dict[str, Any] | None = None  # ThresholdObjective as JSON
    # several 0/1 label columns: a multi-label fit (label_column is then the first of them)
    label_columns: list[str] | None = None
    # the rows' split given by the data (`train` / `test`), not drawn with test_size
    split_column: str | None = None


@dataclass
class TrainResult:
    classes: list[Label]
    metrics: dict[str, Any]
    history: dict[str, list[float]] | None
    train_seconds: float
    artifact_sha256: str
    preprocessing_report: dict[str, Any]
    # what the fit used, `tokenizer: auto` resolved: the model stores these
    preprocessing: dict[str, Any]
    params: dict[str, Any]
    thresholds: dict[str, Any] | None = None  # DecisionThresholds as JSON; None: multiclass


def train_model(spec: TrainSpec, progress: ProgressFn) -> TrainResult:
    started = time.perf_counter()
    params = parse_params(spec.kind, spec.params)
    progress(0.02, "loading data")
    df = read_training_frames(
        [spec.dataset_path, *spec.extra_dataset_paths],
        spec.text_column,
        spec.label_column,
        spec.label_columns,
        spec.split_column,
    )

    progress(0.08, f"preprocessing {len(df):,} texts")
    # jieba's dictionary cache beside the models (not a folder other users share)
    chinese.use_cache_dir(Path(spec.artifact_path).parent / chinese.CACHE_DIR_NAME)
    resolved = resolve_auto(
        PreprocessingConfig.model_validate(spec.preprocessing), params, df[spec.text_column]
    )
    params = resolved.params
    if resolved.choice is not None:
        progress(0.09, f"detected language {resolved.choice.detected}: {resolved.choice.reason}")
    preprocessor = Preprocessor(resolved.preprocessing)
    split = split_dataset(
        df,
        text_column=spec.text_column,
        label_column=spec.label_column,
        preprocessor=preprocessor,
        test_size=spec.test_size,
        random_state=spec.random_state,
        label_columns=spec.label_columns,
        split_column=spec.split_column,
    )
    report = {
        **cleaning_report(split, df),
        "language": resolved.choice.model_dump(mode="json") if resolved.choice else None,
    }
    x_train, x_test = split.texts(split.train), split.texts(split.test)
    y_train, y_test = split.targets(split.train), split.targets(split.test)

    if uses_tensorflow(spec.kind):  # its import alone takes many seconds: say so
        progress(0.12, "starting TensorFlow (its first use in a worker takes a while)")
    trainer = trainer_for(spec.kind)
    try:
        output = trainer(
            texts=x_train,
            labels=y_train,
            holdout_texts=x_test,  # already clean: scored without cleaning a second time
            params=params,
            preprocessor=preprocessor,
            progress=scaled(progress, 0.15, 0.85),
            random_state=spec.random_state,
        )
    except ValueError as exc:  # e.g. an empty vocabulary after min_df / max_df
        raise TrainingError(
            f"training failed: {_vocabulary_error(exc, params, len(x_train))}"
        ) from exc
    model = output.model
    model.trained_texts = seen_texts.digests(x_train)

    progress(0.87, f"evaluating on {len(x_test):,} held-out texts")
    # binary: the positive class's; multi-label: each label's; multiclass: none
    thresholds = fit_thresholds(
        y_test, output.holdout_proba, model.classes, spec.threshold_objective
    )
    # the figures at those thresholds, as its predictions decide; cross-fitted, as they
    # were chosen on these rows
    metrics = metrics_at(y_test, output.holdout_proba, model.classes, thresholds)
    metrics["n_train"] = len(x_train)
    train_seconds = time.perf_counter() - started

    progress(0.95, "saving the model")
    manifest = {
        **spec.manifest,
        "kind": spec.kind,
        "params": params.to_public(),
        "text_column": spec.text_column,
        "label_column": spec.label_column,
        "label_columns": spec.label_columns,
        "random_state": spec.random_state,
        "metrics": metrics,
        "thresholds": thresholds,  # so an imported copy decides as this one does
        "preprocessing_report": report,  # and says what its fit's cleaning did
    }
    sha = save_bundle(model, Path(spec.artifact_path), manifest=manifest)
    progress(1.0, "done")
    return TrainResult(
        classes=model.classes,
        metrics=metrics,
        history=output.history,
        train_seconds=round(train_seconds, 3),
        artifact_sha256=sha,
        preprocessing_report=report,
        preprocessing=resolved.preprocessing.model_dump(mode="json"),
        params=params.to_public(),
        thresholds=thresholds,
    )


def _vocabulary_error(exc: ValueError, params: object, n_train: int) -> str:
    """scikit-learn's message, or for an empty vocabulary one that names min_df and the
    training texts ("max_df corresponds to < documents than min_df" names a max_df the user
    may never have set)."""
    message = str(exc)
    min_df = getattr(params, "min_df", None)
    if not isinstance(min_df, int) or not ("min_df" in message or "no terms remain" in message):
        return message
    if min_df > n_train:
        return (
            f"min_df {min_df:,} is more than the {n_train:,} training texts: no term is kept; "
            "lower min_df"
        )
    return (
        f"no term is in at least min_df {min_df:,} of the {n_train:,} training texts (and in "
        "at most max_df of them): no term is kept; lower min_df or raise max_df"
    )
