"""Reading and checking the label columns of a multi-label fit: each column 0/1, a row
where any of them is empty is left out."""

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from app.ml.labels import describe_values, normalise_labels
from shared.csv_format import CsvFormatError, read_frame

MIN_LABELS = 2


class MultiLabelDataError(ValueError):
    """The label columns cannot be trained on as asked; the message says why."""


def read_multilabel_frame(
    path: str | Path, text_column: str, label_columns: list[str]
) -> pd.DataFrame:
    """The text column (strings) and each label column as 0/1 ints; rows with an empty label
    dropped (how many rows the file had is in `.attrs["rows_read"]`)."""
    try:
        df = read_frame(Path(path), [text_column, *label_columns])
    except CsvFormatError as exc:
        raise MultiLabelDataError(f"cannot read the columns: {exc}") from exc
    rows_read = len(df)
    labelled = np.ones(len(df), dtype=bool)
    for column in label_columns:
        labelled &= (df[column].str.strip() != "").to_numpy()
    df = df[labelled]
    out = df[[text_column]].copy()
    for column in label_columns:
        out[column] = label_values(column, normalise_labels(df[column]))
    out.attrs["rows_read"] = rows_read
    return out


def label_values(column: str, values: Sequence[object]) -> np.ndarray:
    bad = sorted({v for v in values if v not in (0, 1)}, key=str)
    if bad:
        raise MultiLabelDataError(
            f"label column {column!r} must hold 0 or 1 in a multi-label fit; it also holds "
            f"{describe_values(bad)}"
        )
    return np.asarray(values, dtype=np.int8)


def check_multilabel(matrix: np.ndarray, label_columns: list[str], test_size: float) -> None:
    """Enough labels, and each applying to (and missing from) at least 2 rows, so both
    sides of the split can hold it."""
    if len(label_columns) < MIN_LABELS:
        raise MultiLabelDataError(f"a multi-label fit needs at least {MIN_LABELS} label columns")
    if len(set(label_columns)) != len(label_columns):
        raise MultiLabelDataError("the label columns must be different columns")
    positives = matrix.sum(axis=0)
    rare = [c for c, n in zip(label_columns, positives, strict=True) if n < 2]
    common = [c for c, n in zip(label_columns, positives, strict=True) if len(matrix) - n < 2]
    if rare:
        raise MultiLabelDataError(
            f"label columns {describe_values(rare)} apply to fewer than 2 rows; "
            "the split needs 2 rows where each label applies"
        )
    if common:
        raise MultiLabelDataError(
            f"label columns {describe_values(common)} apply to all rows but fewer than 2; "
            "nothing to learn"
        )
    n_test = round(len(matrix) * test_size)
    if n_test < 1 or len(matrix) - n_test < 1:
        raise MultiLabelDataError(f"{len(matrix)} rows are too few for a {test_size:.0%} split")
