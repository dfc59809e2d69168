"""The one CSV parser: what the check accepts, the reader reads, cell for cell."""

import csv
import io
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shared.csv_format import CsvFormatError, check_csv, check_start, read_frame, read_frames

NAMES = st.lists(
    st.text(st.characters(codec="utf-8"), min_size=1, max_size=8)
    .map(str.strip)
    .filter(lambda s: s and "\ufeff" not in s and "\x00" not in s),
    min_size=2,
    max_size=4,
    unique=True,
)
CELL = st.text(st.characters(codec="utf-8"), max_size=12).filter(lambda s: "\x00" not in s)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    names=NAMES,
    data=st.data(),
    terminator=st.sampled_from(["\n", "\r\n", "\r"]),
    before=st.sampled_from(["", "\ufeff", "\n", ",,\n", "\ufeff , \r\n\n"]),
    padding=st.sampled_from(["", " ", "  \t"]),
)
def test_what_the_check_accepts_is_read_cell_for_cell(
    tmp_path: Path,
    names: list[str],
    data: st.DataObject,
    terminator: str,
    before: str,
    padding: str,
) -> None:
    rows = data.draw(st.lists(st.lists(CELL, min_size=len(names), max_size=len(names)), max_size=6))
    # a row whose cells are all blank would be a blank line for a one-cell row only
    rows = [r for r in rows if any(c.strip() for c in r)] or [["x"] * len(names)]
    out = io.StringIO()
    # the csv writer quotes a cell with a line end only if the end is in its terminator
    quoting = csv.QUOTE_MINIMAL if terminator == "\r\n" else csv.QUOTE_ALL
    writer = csv.writer(out, lineterminator=terminator, quoting=quoting)
    writer.writerow([padding + n + padding for n in names])
    writer.writerows(rows)
    path = tmp_path / "f.csv"
    path.write_text(before + out.getvalue(), encoding="utf-8")

    header, count = check_csv(path)
    assert header == names and count == len(rows)
    frame = read_frame(path, names)
    assert frame.to_numpy().tolist() == rows
    assert read_frame(path, names[::-1]).columns.tolist() == names[::-1]


def test_chunks_hold_every_row_once(tmp_path: Path) -> None:
    path = tmp_path / "f.csv"
    path.write_text("a,b\n" + "".join(f"{i},x\n" for i in range(25)))
    chunks = list(read_frames(path, ["a"], chunk_rows=10))
    assert [len(c) for c in chunks] == [10, 10, 5]
    assert [int(v) for c in chunks for v in c["a"]] == list(range(25))


@pytest.mark.parametrize("end", ["\n", "\r\n", "\r"])
def test_a_quoted_empty_text_is_a_row_and_a_blank_line_is_not(tmp_path: Path, end: str) -> None:
    """In a file of one column, `""` and `"  "` are texts (empty), never blank lines."""
    path = tmp_path / "f.csv"
    lines = ["text", "hello", '""', '"  "', "", "   ", "bye", '""']
    path.write_text(end.join(lines) + end, encoding="utf-8")
    assert read_frame(path, ["text"])["text"].tolist() == ["hello", "", "  ", "bye", ""]
    assert check_csv(path) == (["text"], 5)
    # the UI's check of a file's start counts them alike
    assert check_start(path.read_text(encoding="utf-8"), complete=True) == (["text"], 5)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"a,b\n1,2\n3\n", "line 3: 1 fields, expected 2"),
        (b'a,b\n"1,2\n', "quote"),
        (b"a,b\n1,\xe9\n", "not UTF-8"),
    ],
)
def test_the_reader_refuses_what_the_check_refuses(
    tmp_path: Path, content: bytes, message: str
) -> None:
    path = tmp_path / "f.csv"
    path.write_bytes(content)
    with pytest.raises(CsvFormatError, match=message):
        read_frame(path, ["a"])


def test_an_unknown_column_is_named(tmp_path: Path) -> None:
    path = tmp_path / "f.csv"
    path.write_bytes(b"a,b\n1,2\n")
    with pytest.raises(CsvFormatError, match=r"no column \['c'\]"):
        read_frame(path, ["c"])
