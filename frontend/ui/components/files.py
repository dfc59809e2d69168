"""CSV files a user picks: the uploader widget, the file's format (encoding, delimiter)
and the checks before anything is sent."""

import re
from dataclasses import dataclass

import streamlit as st
from streamlit.runtime.uploaded_file_manager import UploadedFile

from shared.csv_encodings import DEFAULT_DELIMITER, DEFAULT_ENCODING, DELIMITERS, ENCODINGS
from ui.analysis.csv_check import CsvCheck, check_csv, human_size
from ui.settings import get_settings

# a refusal that a File format choice fixes
_FORMAT_FIX = re.compile(r"upload it with (encoding|delimiter) ")
# how the Delimiter choice shows each one
DELIMITER_LABELS = {",": "comma ,", ";": "semicolon ;", "\t": "tab", "|": "vertical bar |"}


@dataclass(frozen=True)
class CsvFormat:
    """The encoding and delimiter a file was saved with: the server converts it to UTF-8
    with commas as it receives it."""

    encoding: str = DEFAULT_ENCODING
    delimiter: str = DEFAULT_DELIMITER

    @property
    def is_default(self) -> bool:
        return self == CsvFormat()


def csv_uploader(label: str, key: str) -> UploadedFile | None:
    settings = get_settings()
    return st.file_uploader(
        f"{label} (at most {human_size(settings.max_upload_bytes)})",
        type=["csv"],
        max_upload_size=settings.max_upload_mb,
        key=key,
    )


def csv_format(key: str, *, nested: bool = False) -> CsvFormat:
    """The "File format" choices, in an expander of their own (`nested`: inside one
    already, where Streamlit allows no other): UTF-8 and commas unless the user picks
    others (a Russian Excel's CSV: cp1251 and semicolons)."""
    chosen = CsvFormat(
        st.session_state.get(f"{key}.encoding", DEFAULT_ENCODING),
        st.session_state.get(f"{key}.delimiter", DEFAULT_DELIMITER),
    )
    title = "File format" + ("" if chosen.is_default else f": {_described(chosen)}")
    if nested:
        with st.container(border=True):
            st.caption(title)
            return _format_choices(key)
    with st.expander(title, expanded=not chosen.is_default, icon=":material/settings:"):
        return _format_choices(key)


def _format_choices(key: str) -> CsvFormat:
    left, right = st.columns(2)
    encoding = left.selectbox(
        "Encoding",
        list(ENCODINGS),
        format_func=lambda e: f"{e} · {ENCODINGS[e].split(',')[0]}",
        key=f"{key}.encoding",
        help="The text encoding the file was saved in: "
        + "; ".join(f"{name}: {what}" for name, what in ENCODINGS.items())
        + ". Anything but UTF-8 is converted to UTF-8 by the server, and stored so.",
    )
    delimiter = right.selectbox(
        "Delimiter",
        list(DELIMITERS),
        format_func=DELIMITER_LABELS.__getitem__,
        key=f"{key}.delimiter",
        help="What separates the columns; the server converts the file to commas.",
    )
    return CsvFormat(encoding, delimiter)


def _described(chosen: CsvFormat) -> str:
    return f"{chosen.encoding}, {DELIMITER_LABELS[chosen.delimiter]}"


def checked(file: UploadedFile, fmt: CsvFormat | None = None) -> tuple[bytes, CsvCheck] | None:
    """The file's bytes and what the check found, the file read with `fmt` (UTF-8 and
    commas by default); None, after saying why, if unusable."""
    fmt = fmt or CsvFormat()
    content = file.getvalue()
    check = check_csv(
        file.name,
        content,
        get_settings().max_upload_bytes,
        encoding=fmt.encoding,
        delimiter=fmt.delimiter,
    )
    if not check.ok:
        st.error(
            "**This file cannot be used:**\n" + "\n".join(f"- {p}" for p in check.problems),
            icon=":material/error:",
        )
        if any(_FORMAT_FIX.search(p) for p in check.problems):
            st.caption("Choose the encoding or the delimiter under **File format**.")
        return None
    return content, check


@dataclass(frozen=True)
class PickedCsv:
    """A CSV file picked, the format it was saved in, its bytes and what the check found."""

    file: UploadedFile
    fmt: CsvFormat
    content: bytes
    check: CsvCheck


def picked_csv(
    label: str, file_key: str, format_key: str, *, nested: bool = False
) -> PickedCsv | None:
    """The uploader, its File format choices and the check: the file ready to send; None
    when none is picked, or (after saying why) when it is unusable."""
    file = csv_uploader(label, key=file_key)
    fmt = csv_format(format_key, nested=nested)
    if file is None:
        return None
    result = checked(file, fmt)
    if result is None:
        return None
    return PickedCsv(file, fmt, *result)
