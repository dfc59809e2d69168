"""One training run from a CSV on disk to a saved bundle: load, preprocess, split, fit,
evaluate, save. Pure: no web, no database; it runs inside a worker process."""

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.model_selection import train_test_split

from app.ml import chinese
from app.ml.artifacts import save_bundle
from app.ml.kinds import trainer_for, uses_tensorflow
from app.ml.labels import Label, describe_values, normalise_labels, sorted_classes
from app.ml.language import resolve_auto
from app.ml.multilabel import MultiLabels, iterative_split
from app.ml.multilabel_data import (
    MultiLabelDataError,
    check_multilabel,
    read_multilabel_frame,
)
from app.ml.preprocessing import EmptyDatasetError, Preprocessor
from app.ml.progress import ProgressFn, scaled
from app.ml.thresholds import cutoffs, fit_thresholds, held_out_metrics
from shared.csv_format import CsvFormatError, read_frame
from shared.schemas import PreprocessingConfig
from shared.schemas.params import parse_params


class TrainingError(Exception):
    """The data cannot be trained on as asked; the message says why, for the user."""


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


def read_training_frame(
    path: str | Path, text_column: str, label_column: str, split_column: str | None = None
) -> pd.DataFrame:
    """The text and label columns (and the split column, if any), as strings, rows without
    a label dropped (how many rows the file had is in `.attrs["rows_read"]`)."""
    columns = [text_column, label_column, *([split_column] if split_column else [])]
    try:
        df = read_frame(Path(path), columns)
    except CsvFormatError as exc:
        raise TrainingError(
            f"cannot read columns {', '.join(repr(c) for c in columns)}: {exc}"
        ) from exc
    rows_read = len(df)
    df = df[df[label_column].str.strip() != ""]
    labels = normalise_labels(df[label_column])
    if len({type(v) for v in labels}) > 1:  # mixed ints and strings: compare as strings
        labels = [str(v) for v in labels]
    out = df.assign(**{label_column: pd.Series(labels, index=df.index, dtype=object)})
    out.attrs["rows_read"] = rows_read
    return out


def read_training_frames(
    paths: list[str],
    text_column: str,
    label_column: str,
    label_columns: list[str] | None = None,
    split_column: str | None = None,
) -> pd.DataFrame:
    """`read_frame_for` of each file, concatenated, rows repeated across (or within) them
    dropped; `.attrs["rows_read"]` counts every file's rows. A split column is read from
    one file only (a fit on several files draws its split)."""
    if len(paths) == 1:
        return read_frame_for(paths[0], text_column, label_column, label_columns, split_column)
    frames = [read_frame_for(p, text_column, label_column, label_columns) for p in paths]
    rows_read = sum(int(f.attrs.get("rows_read", len(f))) for f in frames)
    both = pd.concat(frames, ignore_index=True)
    # 1 and "1" are one label, as the fit sees them
    keys = {c: both[c].map(str) for c in label_columns or [label_column]}
    both = both[~pd.DataFrame({"text": both[text_column], **keys}).duplicated()]
    both = both.reset_index(drop=True)
    both.attrs["rows_read"] = rows_read
    return both


def read_frame_for(
    path: str | Path,
    text_column: str,
    label_column: str,
    label_columns: list[str] | None,
    split_column: str | None = None,
) -> pd.DataFrame:
    """read_training_frame, or for several label columns read_multilabel_frame (which
    takes no split column)."""
    if not label_columns:
        return read_training_frame(path, text_column, label_column, split_column)
    try:
        return read_multilabel_frame(path, text_column, label_columns)
    except MultiLabelDataError as exc:
        raise TrainingError(str(exc)) from exc


def check_splittable(labels: list[Label], test_size: float) -> list[Label]:
    counts = pd.Series(labels).value_counts()
    if len(counts) < 2:
        raise TrainingError(
            f"the label column has only one class ({describe_values([counts.index[0]])}); "
            "at least two are needed"
        )
    rare = counts[counts < 2]
    if len(rare):
        raise TrainingError(
            f"the label column has {len(counts):,} distinct values, {len(rare):,} of them with "
            f"fewer than 2 rows ({describe_values(list(rare.index))}); a stratified split "
            "needs 2 rows per class"
            + (". Is it the label column?" if len(rare) > len(counts) // 2 else "")
        )
    n_test = round(len(labels) * test_size)
    if n_test < len(counts) or len(labels) - n_test < len(counts):
        raise TrainingError(
            f"{len(labels)} rows are too few for a {test_size:.0%} test split "
            f"of {len(counts)} classes"
        )
    return sorted_classes(labels)


@dataclass
class DatasetSplit:
    """The preprocessed rows (their index: the rows of the CSV) and which positions of them
    went to training and to the held-out test set, in the order the model saw them."""

    frame: pd.DataFrame
    train: np.ndarray
    test: np.ndarray
    text_column: str
    label_column: str
    dropped: dict[str, int]  # what preprocessing removed: "empty", "duplicates"
    label_columns: list[str] | None = None  # multi-label

    def texts(self, positions: np.ndarray) -> list[str]:
        return self.frame[self.text_column].iloc[positions].tolist()

    def labels(self, positions: np.ndarray) -> list[Label]:
        return self.frame[self.label_column].iloc[positions].tolist()

    def multilabels(self, positions: np.ndarray) -> MultiLabels:
        assert self.label_columns
        matrix = self.frame[self.label_columns].to_numpy(dtype=np.int8)[positions]
        return MultiLabels(list(self.label_columns), matrix)

    def targets(self, positions: np.ndarray) -> list[Label] | MultiLabels:
        """What a trainer learns: the labels, or for a multi-label split the 0/1 matrix."""
        return self.multilabels(positions) if self.label_columns else self.labels(positions)


def split_dataset(
    df: pd.DataFrame,
    *,
    text_column: str,
    label_column: str,
    preprocessor: Preprocessor,
    test_size: float,
    random_state: int,
    label_columns: list[str] | None = None,
    split_column: str | None = None,
) -> DatasetSplit:
    """Preprocess, then the stratified train/test split (iterative stratification over
    several label columns), or the split a `split_column` gives (`train` / `test` in each
    row). Training and evaluation both call this: the same frame, test_size and
    random_state (or split column) give the same held-out rows."""
    dropped: dict[str, int] = {}
    before = len(df)
    try:
        df = preprocessor.preprocess_dataset(df, text_column, dropped)
    except EmptyDatasetError as exc:
        raise TrainingError(str(exc)) from exc
    try:
        return _split(
            df,
            dropped,
            text_column=text_column,
            label_column=label_column,
            test_size=test_size,
            random_state=random_state,
            label_columns=label_columns,
            split_column=split_column,
        )
    except TrainingError as exc:
        raise TrainingError(_after_cleaning(str(exc), before, len(df), dropped)) from exc


def _after_cleaning(message: str, before: int, left: int, dropped: dict[str, int]) -> str:
    """A split's error, saying first what cleaning dropped when it dropped rows (a dataset
    whose texts are all punctuation has two classes in its file and one, or none, left)."""
    gone = before - left
    if gone <= 0:
        return message
    return (
        f"after cleaning, {gone:,} of {before:,} texts were empty or repeated and were "
        f"dropped ({dropped.get('empty', 0):,} empty, {dropped.get('duplicates', 0):,} "
        f"repeated); {left:,} {'row is' if left == 1 else 'rows are'} left: {message}"
    )


def _split(
    df: pd.DataFrame,
    dropped: dict[str, int],
    *,
    text_column: str,
    label_column: str,
    test_size: float,
    random_state: int,
    label_columns: list[str] | None,
    split_column: str | None,
) -> DatasetSplit:
    if split_column is not None and not label_columns:
        train, test = given_split(df[split_column])
        if df[label_column].iloc[train].nunique() < 2:
            raise TrainingError("the training rows have only one class; at least two are needed")
        return DatasetSplit(df, train, test, text_column, label_column, dropped)
    if label_columns:
        matrix = df[label_columns].to_numpy(dtype=np.int8)
        try:
            check_multilabel(matrix, label_columns, test_size)
        except MultiLabelDataError as exc:
            raise TrainingError(str(exc)) from exc
        train, test = iterative_split(matrix, test_size, random_state)
        return DatasetSplit(
            df, train, test, text_column, label_column, dropped, list(label_columns)
        )
    labels = df[label_column].tolist()
    check_splittable(labels, test_size)
    # positions, not texts, are split: the partition depends only on the labels
    train, test = train_test_split(
        np.arange(len(df)), test_size=test_size, random_state=random_state, stratify=labels
    )
    return DatasetSplit(df, train, test, text_column, label_column, dropped)


def given_split(roles: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """(train, test) positions from a split column's `train` / `test` values."""
    cleaned = roles.astype(str).str.strip().str.lower()
    unknown = sorted(set(cleaned) - {"train", "test"})
    if unknown:
        raise TrainingError(
            f"the split column {roles.name!r} may hold only 'train' and 'test', not "
            f"{describe_values(unknown)}"
        )
    train = np.flatnonzero((cleaned == "train").to_numpy())
    test = np.flatnonzero((cleaned == "test").to_numpy())
    if not len(train) or not len(test):
        raise TrainingError(f"the split column {roles.name!r} needs both train and test rows")
    return train, test


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
    rows_read, labelled = int(df.attrs.get("rows_read", len(df))), len(df)
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
        "rows_read": rows_read,
        "unlabelled_dropped": rows_read - labelled,
        "empty_dropped": split.dropped["empty"],
        "duplicates_dropped": split.dropped["duplicates"],
        "rows_left": len(split.frame),
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

    progress(0.87, f"evaluating on {len(x_test):,} held-out texts")
    # binary: the positive class's; multi-label: each label's; multiclass: none
    thresholds = fit_thresholds(
        y_test, output.holdout_proba, model.classes, spec.threshold_objective
    )
    # the figures at those thresholds, as its predictions decide
    metrics = held_out_metrics(y_test, output.holdout_proba, model.classes, cutoffs(thresholds))
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
