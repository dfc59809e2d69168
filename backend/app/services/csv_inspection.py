"""Check that a file is a usable CSV and summarise it, without holding it in memory whole.

Errors say what is wrong and where (line numbers), for the person who made the file.
"""

import codecs
import csv
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from app.core.errors import InvalidInputError
from shared.schemas import ColumnInfo

_CHUNK_BYTES = 1 << 20
_STATS_CHUNK_ROWS = 100_000
_MAX_REPORTED = 5


@dataclass
class CsvSummary:
    rows: int
    columns: list[ColumnInfo]
    duplicate_rows: int


def inspect_csv(path: Path, *, max_columns: int | None = None) -> CsvSummary:
    check_utf8(path)
    header, rows = check_structure(path, max_columns=max_columns)
    columns, duplicates = column_stats(path, header)
    return CsvSummary(rows=rows, columns=columns, duplicate_rows=duplicates)


def check_utf8(path: Path) -> None:
    """UTF-8 text (a BOM is fine), no NUL bytes; otherwise say where it breaks."""
    decoder = codecs.getincrementaldecoder("utf-8")("strict")
    line = 1
    seen_any = False
    with path.open("rb") as fh:
        while chunk := fh.read(_CHUNK_BYTES):
            if line == 1 and chunk.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
                raise InvalidInputError(
                    "the file is UTF-16 text, not UTF-8; save it as UTF-8 and upload it again"
                )
            seen_any = seen_any or bool(chunk.strip())
            nul = chunk.find(b"\x00")
            if nul >= 0:
                where = line + chunk.count(b"\n", 0, nul)
                raise InvalidInputError(
                    f"this looks like a binary file, not CSV text (NUL byte on line {where})"
                )
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as exc:
                where = line + chunk.count(b"\n", 0, exc.start)
                raise InvalidInputError(
                    f"the file is not UTF-8 text (invalid byte 0x{chunk[exc.start]:02x} on line "
                    f"{where}); save it as UTF-8 and upload it again"
                ) from None
            line += chunk.count(b"\n")
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            raise InvalidInputError("the file ends in the middle of a UTF-8 character") from None
    if not seen_any:
        raise InvalidInputError("the file is empty")


def check_structure(path: Path, *, max_columns: int | None = None) -> tuple[list[str], int]:
    """A header with named, unique columns (at most `max_columns`), and rows with as many
    fields as the header."""
    csv.field_size_limit(2**31 - 1)
    problems: list[str] = []
    rows = 0
    with path.open(encoding="utf-8-sig", newline="") as fh:
        reader = csv.reader(fh, strict=True)
        try:
            header = next(reader, None)
            while header is not None and not any(h.strip() for h in header):
                header = next(reader, None)
            if header is None:
                raise InvalidInputError("the file has no header row")
            header = [h.strip() for h in header]
            _check_width(header, max_columns)  # first: a wide file costs in every step after
            _check_header(header)
            for row in reader:
                if not row or (len(row) == 1 and not row[0].strip()):
                    continue  # blank line
                rows += 1
                if len(row) != len(header) and len(problems) < _MAX_REPORTED:
                    problems.append(
                        f"line {reader.line_num}: {len(row)} fields, expected {len(header)}"
                    )
        except csv.Error as exc:
            raise InvalidInputError(
                f"the file is not valid CSV: line {reader.line_num}: {exc} "
                "(an unbalanced quote is the usual cause)"
            ) from None
    if problems:
        raise InvalidInputError("rows do not match the header: " + "; ".join(problems))
    if rows == 0:
        raise InvalidInputError("the file has a header but no data rows")
    return header, rows


def _check_width(header: list[str], max_columns: int | None) -> None:
    if max_columns is not None and len(header) > max_columns:
        raise InvalidInputError(
            f"the file has {len(header):,} columns; the limit is {max_columns:,} "
            "(MAX_DATASET_COLUMNS)"
        )


def _check_header(header: list[str]) -> None:
    unnamed = [i + 1 for i, h in enumerate(header) if not h]
    if unnamed:
        raise InvalidInputError(f"header columns {unnamed} have no name")
    repeated = sorted(h for h, count in Counter(header).items() if count > 1)
    if repeated:
        raise InvalidInputError(f"the header repeats column names: {repeated}")


def column_stats(path: Path, header: list[str]) -> tuple[list[ColumnInfo], int]:
    """Each column's type and missing values, and the number of duplicate rows."""
    missing = dict.fromkeys(header, 0)
    dtypes: dict[str, set[str]] = {h: set() for h in header}
    hashes: list[np.ndarray] = []
    reader = pd.read_csv(
        path,
        encoding="utf-8-sig",
        chunksize=_STATS_CHUNK_ROWS,
        skip_blank_lines=True,
        names=header,
        header=0,
    )
    with reader:
        for chunk in reader:
            for column in header:
                missing[column] += int(chunk[column].isna().sum())
                dtypes[column].add(_dtype_name(chunk[column]))
            hashes.append(pd.util.hash_pandas_object(chunk, index=False).to_numpy())
    all_hashes = np.concatenate(hashes) if hashes else np.array([], dtype=np.uint64)
    duplicates = int(len(all_hashes) - len(np.unique(all_hashes)))
    columns = [
        ColumnInfo(name=h, dtype=_merge_dtypes(dtypes[h]), missing=missing[h]) for h in header
    ]
    return columns, duplicates


def _dtype_name(series: pd.Series) -> str:
    if series.isna().all():
        return "empty"
    if pd.api.types.is_bool_dtype(series):
        return "bool"
    if pd.api.types.is_integer_dtype(series):
        return "int"
    if pd.api.types.is_float_dtype(series):
        non_null = series.dropna()
        return "int" if (non_null == non_null.round()).all() else "float"
    return "string"


def _merge_dtypes(kinds: set[str]) -> str:
    kinds = kinds - {"empty"}
    if not kinds:
        return "empty"
    if len(kinds) == 1:
        return kinds.pop()
    if kinds <= {"int", "float"}:
        return "float"
    return "string"
