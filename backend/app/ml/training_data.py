"""The rows a fit reads and how it splits them: the labelled rows of one or several CSVs,
cleaned by the preprocessor, then the stratified train/test split (or the split a column
gives). Training and every later use of a version's held-out rows (services/held_out.py)
call the same functions, so the same inputs give the same rows. Pure: no web, no database."""

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.model_selection import train_test_split

from app.ml.labels import Label, describe_values, normalise_labels, sorted_classes
from app.ml.multilabel import MultiLabels, iterative_split
from app.ml.multilabel_data import (
    MultiLabelDataError,
    check_multilabel,
    read_multilabel_frame,
)
from app.ml.preprocessing import EmptyDatasetError, Preprocessor
from shared.csv_format import CsvFormatError, read_frame


class TrainingError(Exception):
    """The data cannot be trained on as asked; the message says why, for the user."""


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
    dropped (`.attrs["repeats_dropped"]` counts them); `.attrs["rows_read"]` counts every
    file's rows, and for several files
    `.attrs["origins"]` says where each row is, by position (`row_origins`). A split
    column is read from one file only (a fit on several files draws its split)."""
    if len(paths) == 1:
        return read_frame_for(paths[0], text_column, label_column, label_columns, split_column)
    frames = [read_frame_for(p, text_column, label_column, label_columns) for p in paths]
    rows_read = sum(int(f.attrs.get("rows_read", len(f))) for f in frames)
    origins = np.array(
        [(i, int(row)) for i, frame in enumerate(frames) for row in frame.index], dtype=np.int64
    )
    both = pd.concat(frames, ignore_index=True)
    # 1 and "1" are one label, as the fit sees them
    keys = {c: both[c].map(str) for c in label_columns or [label_column]}
    kept = ~pd.DataFrame({"text": both[text_column], **keys}).duplicated()
    both = both[kept].reset_index(drop=True)
    both.attrs["rows_read"] = rows_read
    both.attrs["repeats_dropped"] = int((~kept).sum())
    # bytes: pandas deep-copies attrs into every derived frame and compares them in a
    # concat, which immutable bytes make free (and an array would make ambiguous)
    both.attrs["origins"] = origins[kept.to_numpy()].tobytes()
    return both


def row_origins(frame: pd.DataFrame) -> np.ndarray | None:
    """Where each row of `read_training_frames`' frame of several files is, by position:
    (the file's index in its `paths`, the row in that CSV); None for one file (its index
    is the row)."""
    origins = frame.attrs.get("origins")
    if origins is None:
        return None
    return np.frombuffer(origins, dtype=np.int64).reshape(-1, 2)


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


def check_splittable(
    labels: list[Label], test_size: float, column: str | None = None
) -> list[Label]:
    """`column`: the label column's name, for the message (else "the label column")."""
    named = f"label column {column!r}" if column else "the label column"
    counts = pd.Series(labels).value_counts()
    if len(counts) < 2:
        raise TrainingError(
            f"{named} has only one class ({describe_values([counts.index[0]])}); "
            "at least two are needed"
        )
    rare = counts[counts < 2]
    if len(rare):
        raise TrainingError(
            f"{named} has {len(counts):,} distinct values, {len(rare):,} of them with "
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


def cleaning_report(split: DatasetSplit, read: pd.DataFrame) -> dict[str, Any]:
    """What the files held and what cleaning dropped before the split (a model's
    `preprocessing_report`, without the language a fit adds). `read`: the frame
    `read_training_frame(s)` gave, whose attrs count the rows read and the rows repeated
    across several files (duplicates, like those cleaning drops within the data)."""
    rows_read = int(read.attrs.get("rows_read", len(read)))
    repeated = int(read.attrs.get("repeats_dropped", 0))
    return {
        "rows_read": rows_read,
        "unlabelled_dropped": rows_read - len(read) - repeated,
        "empty_dropped": split.dropped["empty"],
        "duplicates_dropped": split.dropped["duplicates"] + repeated,
        "rows_left": len(split.frame),
    }
