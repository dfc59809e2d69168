"""Checks on a CSV before it is sent: type, size and a readable start with a header.

The backend checks the whole file again, with the same parser (`shared.csv_format`); these
catch the common mistakes at once and without a round trip (a spreadsheet saved in another
encoding, the wrong file, a huge file).
"""

import codecs
from dataclasses import dataclass, field
from pathlib import PurePath

from shared.csv_format import CsvFormatError, check_start, describe_binary

SNIFF_BYTES = 1 << 20  # the first MiB is enough to judge the header and the first rows


@dataclass
class CsvCheck:
    problems: list[str] = field(default_factory=list)
    columns: list[str] = field(default_factory=list)
    rows_seen: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems


def check_csv(filename: str, content: bytes, limit_bytes: int) -> CsvCheck:
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
    text = _decode(head, complete=len(content) <= SNIFF_BYTES, result=result)
    if text is None:
        return result
    truncated = len(content) > SNIFF_BYTES
    if truncated:
        text = text[: text.rfind("\n") + 1]  # drop the cut-off last line
    _check_rows(text, result, truncated=truncated)
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


def _decode(head: bytes, *, complete: bool, result: CsvCheck) -> str | None:
    kind = describe_binary(head)  # UTF-16 or UTF-32, gzip, an Excel workbook: the backend's words
    if kind is not None:
        result.problems.append(kind)
        return None
    nul = head.find(b"\x00")
    if nul >= 0:
        line = head.count(b"\n", 0, nul) + 1
        result.problems.append(f"this looks like a binary file, not CSV text (line {line})")
        return None
    decoder = codecs.getincrementaldecoder("utf-8-sig")("strict")
    try:
        return decoder.decode(head, final=complete)
    except UnicodeDecodeError as exc:
        line = head.count(b"\n", 0, exc.start) + 1
        result.problems.append(
            f"the file is not UTF-8 text (invalid byte 0x{head[exc.start]:02x} on line {line}); "
            "save it as UTF-8 (CSV UTF-8 in Excel) and try again"
        )
        return None


def _check_rows(text: str, result: CsvCheck, *, truncated: bool) -> None:
    """The backend's own parser on the start of the file: what it refuses is refused here."""
    try:
        result.columns, result.rows_seen = check_start(text, complete=not truncated)
    except CsvFormatError as exc:
        result.problems.append(str(exc))
