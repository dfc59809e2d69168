"""A CSV in another listed encoding or with another delimiter (`shared.csv_encodings`),
converted once, as it is uploaded, to the canonical form every later read expects
(`shared.csv_format`): UTF-8, commas, the csv module's minimal quoting, CRLF line ends.
Streamed a chunk of bytes at a time, whatever the file's size; a row keeps its line (a
text over several lines keeps its line ends, quoted), so the line numbers of later
messages are the uploaded file's. Bytes that are not text in the named encoding are
refused with their line, and the encoding they read as, when that can be told.
"""

import codecs
import csv
import hashlib
import io
import os
from collections.abc import Iterable, Iterator
from itertools import islice
from pathlib import Path
from typing import BinaryIO

from shared.csv_encodings import (
    CODECS,
    DEFAULT_DELIMITER,
    DEFAULT_ENCODING,
    UTF16,
    not_text_message,
    reads_as,
)
from shared.csv_format import CsvFormatError, check_header, describe_binary, utf16_without_bom

_CHUNK_BYTES = 1 << 20
_GUESS_BYTES = 64 * 1024
_BATCH_ROWS = 1000  # rows written at a time


def needs_conversion(encoding: str, delimiter: str) -> bool:
    return encoding != DEFAULT_ENCODING or delimiter != DEFAULT_DELIMITER


def convert(source: Path, target: Path, *, encoding: str, delimiter: str) -> tuple[int, str]:
    """Write `source` (text in `encoding`, columns separated by `delimiter`) to `target`
    in the canonical form, synced; returns its size and SHA-256. CsvFormatError when the
    bytes are not text in `encoding` or the rows are not CSV with `delimiter`."""
    digest = hashlib.sha256()
    size = 0
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")  # quotes a cell holding \r or \n
    with source.open("rb") as fh, target.open("wb") as out:

        def flush() -> None:
            nonlocal size
            data = buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
            out.write(data)
            digest.update(data)
            size += len(data)

        rows = _rows(_lines(_texts(fh, encoding)), delimiter)
        while batch := list(islice(rows, _BATCH_ROWS)):
            writer.writerows(batch)
            if buffer.tell() >= _CHUNK_BYTES:
                flush()
        flush()
        out.flush()
        os.fsync(out.fileno())
    return size, digest.hexdigest()


def decoded_start(head: bytes, encoding: str, *, complete: bool) -> str:
    """The start of a file decoded as the server decodes it (the same refusals); what
    the web UI checks before it sends a file. `complete`: `head` is the whole file."""
    return "".join(_texts(io.BytesIO(head), encoding, final=complete))


def canonical_start(text: str, delimiter: str, *, complete: bool) -> str:
    """The start of a file (decoded) rewritten with commas as `convert` writes it; a
    quoted text cut off at the end of an incomplete start is left out."""
    if delimiter == DEFAULT_DELIMITER:
        return text
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    try:
        for row in _rows(io.StringIO(text, newline=""), delimiter):
            writer.writerow(row)
    except CsvFormatError as exc:
        if complete or "unexpected end of data" not in str(exc):
            raise
    return out.getvalue()


def _texts(fh: BinaryIO, encoding: str, *, final: bool = True) -> Iterator[str]:
    decoder = codecs.getincrementaldecoder(CODECS[encoding])("strict")
    head = b""
    line = 1
    while True:
        # the first chunk: at least what the checks of the start look at
        chunk = fh.read(_CHUNK_BYTES if head else max(_CHUNK_BYTES, _GUESS_BYTES))
        if not head:
            head = chunk
            _check_head(head, encoding)
        pending = decoder.getstate()[0]
        try:
            text = decoder.decode(chunk, final=final and not chunk)
        except UnicodeDecodeError as exc:
            data = pending + chunk
            where = line + _newlines(data[: exc.start], encoding, head)
            raise CsvFormatError(not_text_message(encoding, data[exc.start], where, head)) from None
        line += text.count("\n")
        if text:
            yield text
        if not chunk:
            return


def _check_head(head: bytes, encoding: str) -> None:
    """What the first bytes tell before any decoding: a file of another kind (a zip, a
    workbook), UTF-16 named but the bytes are not, or UTF-8 text named as another
    encoding (it would decode into nonsense without an error)."""
    if not head:
        return
    kind = describe_binary(head)
    if encoding in UTF16:
        if head.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
            raise CsvFormatError(kind or "the file is UTF-32 text")
        bom = head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))
        if encoding == "utf-16" and not bom:
            order = utf16_without_bom(head)
            fix = (
                f"upload it with encoding utf-16-{order}"
                if order
                else (
                    reads_as(head, besides=encoding)
                    or "upload it with encoding utf-16-le or utf-16-be"
                )
            )
            raise CsvFormatError(f"the file has no UTF-16 byte order mark: {fix}")
        # UTF-8 or another 8-bit text read as UTF-16 is Chinese-looking nonsense, without
        # an error, but never a line end (it would need a NUL byte)
        sample = head[:_GUESS_BYTES]
        try:
            text = codecs.getincrementaldecoder(CODECS[encoding])().decode(sample, final=False)
        except UnicodeDecodeError:
            return  # refused with its line as the file is decoded
        if len(sample) > 2 and "\n" not in text and "\r" not in text:
            hint = reads_as(head, besides=encoding) or "upload it with the encoding it was saved in"
            raise CsvFormatError(
                f"the file is not {encoding} text: read as UTF-16 its start has no line end; {hint}"
            )
        return
    if kind is not None:
        raise CsvFormatError(kind)
    if encoding != DEFAULT_ENCODING:
        sample = head[:_GUESS_BYTES]
        try:
            text = codecs.getincrementaldecoder("utf-8")("strict").decode(sample, final=False)
        except UnicodeDecodeError:
            return
        if any(ord(ch) >= 0x80 for ch in text):
            raise CsvFormatError(
                f"the file is UTF-8 text (its non-ASCII bytes are valid UTF-8), not {encoding}: "
                "upload it with encoding utf-8 (the default)"
            )


def _newlines(data: bytes, encoding: str, head: bytes) -> int:
    if encoding not in UTF16:  # the listed ones never use the byte 0x0a inside a character
        return data.count(b"\n")
    big = encoding == "utf-16-be" or (encoding == "utf-16" and head.startswith(codecs.BOM_UTF16_BE))
    return data.decode("utf-16-be" if big else "utf-16-le", "replace").count("\n")


def _lines(texts: Iterable[str]) -> Iterator[str]:
    """Decoded text as lines with their ends (\\n, \\r\\n or a bare \\r), as
    `open(..., newline="")` gives them: what the csv reader needs."""
    rest = ""
    for text in texts:
        lines = io.StringIO(rest + text, newline="").readlines()
        rest = ""
        # the last line may go on in the next chunk (a '\r' may be half of a '\r\n')
        if lines and (lines[-1].endswith("\r") or not lines[-1].endswith("\n")):
            rest = lines.pop()
        yield from lines
    if rest:
        yield rest


def _rows(lines: Iterable[str], delimiter: str) -> Iterator[list[str]]:
    reader = csv.reader(lines, delimiter=delimiter, strict=True)
    first: list[str] | None = None
    try:
        for row in reader:  # a blank line is [], written as a blank line
            if first is None and any(cell.strip() for cell in row):
                first = row
            yield row
    except csv.Error as exc:
        if first is not None and len(first) == 1:  # the header holds another delimiter?
            check_header([first[0].replace("\ufeff", "").strip()])
        raise CsvFormatError(
            f"the file is not valid CSV: line {reader.line_num}: {exc} "
            "(an unbalanced quote is the usual cause, or another delimiter)"
        ) from None
