"""The one CSV parser: what a CSV file is, for the upload check and for every later read.

The upload check (`check_csv`), the dataset summary, fit, predict_scores and predict_csv
all read through `records`, so a file the check accepts is read the same way everywhere:
UTF-8 (a byte order mark is fine), Python's csv dialect with strict quoting, any line ends
(LF, CRLF or a bare CR), blank lines skipped, lines before the header that hold no value
(blank, or only commas) skipped, and an Excel 'sep=,' hint line before the header skipped,
header names without surrounding spaces. A file sent in another encoding or with another
delimiter is converted to this form once, as it is uploaded (`shared.csv_convert`), so
nothing here reads any other. No web, no database: the training worker reads its data
with it too.
"""

import codecs
import csv
import io
import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from shared.csv_encodings import not_text_message
from shared.schemas.strings import COLUMN_NAME_MAX

if TYPE_CHECKING:
    from _csv import Reader as CsvReader

ENCODING = "utf-8-sig"
_CHUNK_BYTES = 1 << 20
_MAX_REPORTED = 5
# a one-column header holding one of these is another program's CSV "dialect"
_OTHER_DELIMITERS = {";": "semicolons", "\t": "tabs", "|": "vertical bars"}
# Excel's first line naming the delimiter ("sep=;"), quoted or not
_SEP_HINT = re.compile(r"\s*sep=(.)\s*", re.IGNORECASE)
_SNIFF_BYTES = 4096  # enough of a file's start to tell UTF-16 without a byte order mark
# file types people upload by mistake, by their first bytes
_SIGNATURES = {
    b"\x1f\x8b": "this is a gzip-compressed file, not CSV text: decompress it first",
    b"PK\x03\x04": (
        "this is an Excel workbook or zip archive, not CSV text: export it as CSV "
        "(CSV UTF-8 in Excel), or unzip it"
    ),
    b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1": (
        "this is an old Excel workbook (.xls) or another Office file, not CSV text: "
        "export it as CSV (CSV UTF-8 in Excel)"
    ),
}

csv.field_size_limit(2**31 - 1)  # one text may be as large as the upload limit


class CsvFormatError(ValueError):
    """The file is not a CSV this server reads; the message says what and where."""


def check_csv(path: Path, *, max_columns: int | None = None) -> tuple[list[str], int]:
    """The whole file checked: UTF-8 text, a header of named, unique columns (at most
    `max_columns`), and rows with as many fields as the header. Returns the header and
    the number of rows."""
    check_encoding(path)
    with records(path) as (header, lines):
        # before the rows: a very wide file costs in every step after this one
        if max_columns is not None and len(header) > max_columns:
            raise CsvFormatError(
                f"the file has {len(header):,} columns; the limit is {max_columns:,} "
                "(MAX_DATASET_COLUMNS)"
            )
        return header, _counted_rows(header, lines)


def check_start(text: str, *, complete: bool) -> tuple[list[str], int]:
    """The start of a file (decoded text), checked by the same rules as `check_csv`: what
    the web UI runs on a file before it sends it. When the text is not the whole file, it
    may end inside a quoted field (a text over several lines): that is no error. Returns
    the header and the rows seen."""
    header: list[str] = []
    seen = 0

    def counting(lines: Iterator[tuple[int, list[str]]]) -> Iterator[tuple[int, list[str]]]:
        nonlocal seen
        for item in lines:
            seen += 1
            yield item

    try:
        with records_of(io.StringIO(text, newline="")) as (header, lines):
            return header, _counted_rows(header, counting(lines), need_rows=complete)
    except CsvFormatError as exc:
        if complete or not header or "unexpected end of data" not in str(exc):
            raise
        return header, seen


def _counted_rows(
    header: list[str], lines: Iterator[tuple[int, list[str]]], *, need_rows: bool = True
) -> int:
    problems: list[str] = []
    rows = 0
    for line, row in lines:
        rows += 1
        if len(row) != len(header) and len(problems) < _MAX_REPORTED:
            problems.append(f"line {line}: {len(row)} fields, expected {len(header)}")
    if problems:
        raise CsvFormatError("rows do not match the header: " + "; ".join(problems))
    if rows == 0 and need_rows:
        raise CsvFormatError("the file has a header but no data rows")
    return rows


def read_frames(
    path: Path, columns: Sequence[str] | None = None, chunk_rows: int = 100_000
) -> Iterator[pd.DataFrame]:
    """The rows as frames of strings (a missing value is an empty string), `chunk_rows`
    at a time, with the header's columns or the named ones (unknown names: an error)."""
    with records(path) as (header, lines):
        names = list(dict.fromkeys(columns)) if columns is not None else header
        unknown = [c for c in names if c not in header]
        if unknown:
            raise CsvFormatError(f"the file has no column {unknown}; its columns are {header}")
        positions = [header.index(c) for c in names]
        while chunk := list(islice(lines, chunk_rows)):
            for line, row in chunk:
                if len(row) != len(header):
                    raise CsvFormatError(f"line {line}: {len(row)} fields, expected {len(header)}")
            # column by column: several times faster than a frame from a list of rows
            yield pd.DataFrame(
                {
                    name: pd.array([row[p] for _, row in chunk], dtype=str)
                    for name, p in zip(names, positions, strict=True)
                }
            )


def read_frame(path: Path, columns: Sequence[str]) -> pd.DataFrame:
    """The named columns, every row, as strings."""
    frames = list(read_frames(path, columns))
    if not frames:
        return pd.DataFrame({c: pd.Series([], dtype=str) for c in dict.fromkeys(columns)})
    return pd.concat(frames, ignore_index=True)


@contextmanager
def records(path: Path) -> Iterator[tuple[list[str], Iterator[tuple[int, list[str]]]]]:
    """The header (names stripped) and the data rows with their line numbers, blank lines
    skipped. Errors in the file are raised as CsvFormatError, also while iterating."""
    with path.open(encoding=ENCODING, newline="") as fh:
        try:
            with records_of(fh) as parsed:
                yield parsed
        except UnicodeDecodeError:
            raise CsvFormatError("the file is not UTF-8 text") from None


@contextmanager
def records_of(
    lines: Iterable[str],
) -> Iterator[tuple[list[str], Iterator[tuple[int, list[str]]]]]:
    """`records` of text already open (lines as `open(..., newline="")` gives them)."""
    last_line = ""

    def remembered(source: Iterable[str]) -> Iterator[str]:
        nonlocal last_line
        for line in source:
            last_line = line
            yield line

    reader = csv.reader(remembered(lines), strict=True)
    header: list[str] = []
    try:
        header = _header(reader)
        yield header, _rows(reader, lambda: last_line)
    except csv.Error as exc:
        if not header:  # quoted fields with another delimiter: '"text";"label"'
            _check_other_delimiter(last_line)
        raise CsvFormatError(
            f"the file is not valid CSV: line {reader.line_num}: {exc} "
            "(an unbalanced quote is the usual cause)"
        ) from None


def _header(reader: "CsvReader") -> list[str]:
    first = True
    for row in reader:
        if any(_clean_name(cell) for cell in row):  # blank or only commas: not the header
            header = [_clean_name(cell) for cell in row]
            if first and _is_comma_hint(row):
                first = False
                continue
            check_header(header)
            return header
    raise CsvFormatError("the file has no header row")


def _is_comma_hint(cells: list[str]) -> bool:
    """Excel's 'sep=,' line (read as two cells, "sep=" and ""): skipped, the file after it
    is comma-separated CSV. Another delimiter named there ('sep=;') is an error."""
    text = ",".join(cells).replace("\ufeff", "")
    hint = _SEP_HINT.fullmatch(text)
    if hint is None:
        return False
    delimiter = hint.group(1)
    if delimiter == ",":
        return True
    plural = _OTHER_DELIMITERS.get(delimiter, repr(delimiter))
    raise CsvFormatError(
        f"the first line is Excel's {'sep=' + delimiter!r} hint: the file is separated by "
        f"{plural}: upload it with {_delimiter_field(delimiter)} (or save it as "
        "comma-separated CSV)"
    )


def _check_other_delimiter(line: str) -> None:
    """A header line that is not valid CSV but is with another delimiter: say which."""
    for delimiter, plural in _OTHER_DELIMITERS.items():
        try:
            cells = next(csv.reader([line], delimiter=delimiter, strict=True), [])
        except csv.Error:
            continue
        if len(cells) > 1:
            raise CsvFormatError(
                f"the header is separated by {plural} ({line.strip()[:80]!r}): upload it "
                f"with {_delimiter_field(delimiter)} (or save it as comma-separated CSV)"
            )


def _rows(reader: "CsvReader", line: Callable[[], str]) -> Iterator[tuple[int, list[str]]]:
    """The rows, without blank lines: a line of nothing or only spaces. A quoted empty
    text (`""` or `"  "`, alone on its line in a file of one column) is a row, not a
    blank line: it is kept, so a file's rows stay its rows (`predict_csv` answers each)."""
    for row in reader:
        if not row or (len(row) == 1 and not line().strip()):
            continue  # a blank line
        yield reader.line_num, row


def _clean_name(cell: str) -> str:
    # a second byte order mark (a file saved twice) is no part of the first column's name
    return cell.replace("\ufeff", "").strip()


def check_header(header: list[str]) -> None:
    """Named, unique, not too long columns; one column holding another delimiter is
    refused naming the `delimiter` field that reads it."""
    unnamed = [i + 1 for i, h in enumerate(header) if not h]
    if unnamed:
        hint = ""
        if unnamed == [1] and len(header) > 1:
            hint = (
                ": the first column has no name: saved by pandas with its index? "
                "save with index=False, or name the column"
            )
        raise CsvFormatError(f"header columns {unnamed} have no name{hint}")
    too_long = [(i + 1, h) for i, h in enumerate(header) if len(h) > COLUMN_NAME_MAX]
    if too_long:
        position, name = too_long[0]
        raise CsvFormatError(
            f"header column {position} ({name[:40] + '…'!r}) has a name of {len(name):,} "
            f"characters; a column name may have at most {COLUMN_NAME_MAX:,}"
        )
    repeated = sorted(h for h, count in Counter(header).items() if count > 1)
    if repeated:
        raise CsvFormatError(f"the header repeats column names: {repeated}")
    if len(header) == 1:
        for delimiter, plural in _OTHER_DELIMITERS.items():
            if delimiter in header[0]:
                raise CsvFormatError(
                    f"the header is one column that holds {plural} ({header[0][:80]!r}): "
                    f"upload it with {_delimiter_field(delimiter)} (or save it as "
                    "comma-separated CSV)"
                )
        if "," in header[0]:  # a comma-separated file uploaded with another delimiter
            raise CsvFormatError(
                f"the header is one column that holds commas ({header[0][:80]!r}): the file "
                "is comma-separated: upload it with delimiter , (the default)"
            )


def _delimiter_field(delimiter: str) -> str:
    """The upload field that reads a file separated by `delimiter`: 'delimiter ;'."""
    return f"delimiter {'tab' if delimiter == chr(9) else delimiter}"


def check_encoding(path: Path) -> None:
    """UTF-8 text (a BOM is fine), no NUL bytes; otherwise say where it breaks."""
    decoder = codecs.getincrementaldecoder("utf-8")("strict")
    line = 1
    seen_any = False
    head = b""
    with path.open("rb") as fh:
        while chunk := fh.read(_CHUNK_BYTES):
            if not head:
                head = chunk
                if (kind := describe_binary(chunk)) is not None:
                    raise CsvFormatError(kind)
            seen_any = seen_any or bool(chunk.strip())
            nul = chunk.find(b"\x00")
            if nul >= 0:
                where = line + chunk.count(b"\n", 0, nul)
                raise CsvFormatError(
                    f"this looks like a binary file, not CSV text (NUL byte on line {where})"
                )
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as exc:
                where = line + chunk.count(b"\n", 0, exc.start)
                raise CsvFormatError(
                    not_text_message("utf-8", chunk[exc.start], where, head)
                ) from None
            line += chunk.count(b"\n")
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            raise CsvFormatError("the file ends in the middle of a UTF-8 character") from None
    if not seen_any:
        raise CsvFormatError("the file is empty")


def describe_binary(head: bytes) -> str | None:
    """What a file that is not UTF-8 text is, from its first bytes, when that is
    recognisable: UTF-32 or UTF-16 text (with a byte order mark, or without one: NULs in
    the two high bytes of every four, or in every other byte), a gzip file, a zip archive
    or an Excel workbook. None otherwise."""
    if head.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):  # before UTF-16's
        return "the file is UTF-32 text, not UTF-8; save it as UTF-8 and upload it again"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return (
            "the file is UTF-16 text, not UTF-8: upload it with encoding utf-16, or save it "
            "as UTF-8"
        )
    for magic, words in _SIGNATURES.items():
        if head.startswith(magic):
            return words
    sample = head[: _SNIFF_BYTES - _SNIFF_BYTES % 4]
    if len(sample) >= 8:  # UTF-32 before UTF-16: its NULs fall on every other byte too
        quads = [sample[i::4] for i in range(4)]
        for high, low in (((2, 3), 0), ((0, 1), 3)):  # little-, big-endian
            if (
                all(quads[h].count(0) == len(quads[h]) for h in high)
                and quads[low].count(0) <= len(quads[low]) // 10
            ):
                return (
                    "the file is UTF-32 text without a byte order mark (two or three NULs "
                    "in every four bytes), not UTF-8; save it as UTF-8 and upload it again"
                )
    order = utf16_without_bom(sample)
    if order is not None:
        return (
            "the file is UTF-16 text without a byte order mark (a NUL every other byte), "
            f"not UTF-8: upload it with encoding utf-16-{order}, or save it as UTF-8"
        )
    return None


def utf16_without_bom(head: bytes) -> str | None:
    """'le' or 'be' when the start of a file is UTF-16 text of mostly ASCII characters
    without a byte order mark (a NUL every other byte); None otherwise."""
    sample = head[: _SNIFF_BYTES - _SNIFF_BYTES % 4]
    if len(sample) >= 4:
        even, odd = sample[0::2], sample[1::2]
        for nuls, others, order in ((odd, even, "le"), (even, odd, "be")):
            if nuls.count(0) == len(nuls) and others.count(0) <= len(others) // 10:
                return order
    return None
