"""Check that an uploaded file is a usable CSV and summarise it, without holding it in
memory whole. The checking and reading is `shared.csv_format`'s, the one CSV parser, so
what is accepted here is what fit, predict_scores and predict_csv read later.

Errors say what is wrong and where (line numbers), for the person who made the file.
"""

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from app.core.errors import InvalidInputError
from shared.csv_format import CsvFormatError, check_csv, read_frames
from shared.schemas import ColumnInfo

_STATS_CHUNK_ROWS = 100_000
_BOOLEANS = {"true", "false"}


@dataclass
class CsvSummary:
    rows: int
    columns: list[ColumnInfo]
    duplicate_rows: int


def inspect_csv(path: Path, *, max_columns: int | None = None) -> CsvSummary:
    header, rows = checked_csv(path, max_columns=max_columns)
    columns, duplicates = column_stats(path, header)
    return CsvSummary(rows=rows, columns=columns, duplicate_rows=duplicates)


def checked_csv(path: Path, *, max_columns: int | None = None) -> tuple[list[str], int]:
    """The header and row count of a file that passes the check; 422 otherwise."""
    try:
        return check_csv(path, max_columns=max_columns)
    except CsvFormatError as exc:
        raise InvalidInputError(str(exc)) from None


def column_stats(path: Path, header: list[str]) -> tuple[list[ColumnInfo], int]:
    """Each column's type and missing values (empty or only spaces: what fit skips as an
    unlabelled row), and the number of duplicate rows."""
    missing = dict.fromkeys(header, 0)
    dtypes: dict[str, set[str]] = {h: set() for h in header}
    hashes: list[np.ndarray] = []
    for chunk in read_frames(path, chunk_rows=_STATS_CHUNK_ROWS):
        for column in header:
            values = chunk[column].str.strip()
            present = values[values != ""]
            missing[column] += len(values) - len(present)
            dtypes[column].add(_dtype_name(present))
        hashes.append(pd.util.hash_pandas_object(chunk, index=False).to_numpy())
    all_hashes = np.concatenate(hashes) if hashes else np.array([], dtype=np.uint64)
    duplicates = int(len(all_hashes) - len(np.unique(all_hashes)))
    columns = [
        ColumnInfo(name=h, dtype=_merge_dtypes(dtypes[h]), missing=missing[h]) for h in header
    ]
    return columns, duplicates


def _dtype_name(present: pd.Series) -> str:
    """The type of a column's non-missing values (given as stripped strings)."""
    if present.empty:
        return "empty"
    if present.str.lower().isin(_BOOLEANS).all():
        return "bool"
    numbers = pd.to_numeric(present, errors="coerce")
    if numbers.isna().any():
        return "string"
    return "int" if (numbers == numbers.round()).all() else "float"


def _merge_dtypes(kinds: set[str]) -> str:
    kinds = kinds - {"empty"}
    if not kinds:
        return "empty"
    if len(kinds) == 1:
        return kinds.pop()
    if kinds <= {"int", "float"}:
        return "float"
    return "string"
