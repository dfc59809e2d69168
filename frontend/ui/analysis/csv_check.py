"""Checks on a CSV before it is sent: type, size and a readable start with a header.

The backend checks the whole file again, with the same parser (`shared.csv_format`); these
catch the common mistakes at once and without a round trip (a spreadsheet saved in another
encoding, the wrong file, a huge file). The file is decoded and split with the encoding and
delimiter the user chose, as the server will convert it (`shared.csv_convert`); a file
that is not text in that encoding gets the server's refusal, with the encoding its bytes
read as.
"""

from dataclasses import dataclass, field
from pathlib import PurePath

from shared.csv_convert import canonical_start, decoded_start
from shared.csv_encodings import DEFAULT_DELIMITER, DEFAULT_ENCODING
from shared.csv_format import CsvFormatError, check_start

SNIFF_BYTES = 1 << 20  # the first MiB is enough to judge the header and the first rows


@dataclass
class CsvCheck:
    problems: list[str] = field(default_factory=list)
    columns: list[str] = field(default_factory=list)
    rows_seen: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems


def check_csv(
    filename: str,
    content: bytes,
    limit_bytes: int,
    *,
    encoding: str = DEFAULT_ENCODING,
    delimiter: str = DEFAULT_DELIMITER,
) -> CsvCheck:
    result = CsvCheck()
    if PurePath(filename).suffix.lower() != ".csv":
        result.problems.append(f"{filename!r} is not a .csv file")
    if not content.strip():
        result.problems.append("the file is empty")
        return result
    if len(content) > limit_bytes:
        result.problems.append(
            f"the file is {human_size(len(content))}; the limit is {human_size(limit_bytes)}"
        )
        return result
    head = content[:SNIFF_BYTES]
    truncated = len(content) > SNIFF_BYTES
    text = _decode(head, encoding=encoding, complete=not truncated, result=result)
    if text is None:
        return result
    if truncated:
        text = text[: text.rfind("\n") + 1]  # drop the cut-off last line
    _check_rows(text, delimiter, result, truncated=truncated)
    return result


def human_size(size: int) -> str:
    """The one size formatter of the UI, in binary units (the limits are set in MiB)."""
    if size >= 2**20:
        return f"{_tenths(size / 2**20)} MiB"
    if size >= 1024:
        return f"{_tenths(size / 1024)} KiB"
    return f"{size:,} bytes"  # not "0.0 KiB"


def _tenths(value: float) -> str:
    """One decimal, none when it is 0: "2.5", "100" (a limit reads "100 MiB")."""
    text = f"{value:,.1f}"
    return text.removesuffix(".0")


def _decode(head: bytes, *, encoding: str, complete: bool, result: CsvCheck) -> str | None:
    try:  # UTF-16 or UTF-32, gzip, an Excel workbook, bytes that are not text: the server's words
        text = decoded_start(head, encoding, complete=complete)
    except CsvFormatError as exc:
        result.problems.append(str(exc))
        return None
    nul = text.find("\x00")
    if nul >= 0:
        line = text.count("\n", 0, nul) + 1
        result.problems.append(f"this looks like a binary file, not CSV text (line {line})")
        return None
    return text


def _check_rows(text: str, delimiter: str, result: CsvCheck, *, truncated: bool) -> None:
    """The backend's own parser on the start of the file: what it refuses is refused here."""
    try:
        canonical = canonical_start(text, delimiter, complete=not truncated)
        result.columns, result.rows_seen = check_start(canonical, complete=not truncated)
    except CsvFormatError as exc:
        result.problems.append(str(exc))
