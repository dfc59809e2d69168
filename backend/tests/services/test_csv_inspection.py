from pathlib import Path

import pytest

from app.core.errors import InvalidInputError
from app.services.csv_inspection import inspect_csv


def inspect(tmp_path: Path, content: bytes):  # type: ignore[no-untyped-def]
    path = tmp_path / "f.csv"
    path.write_bytes(content)
    return inspect_csv(path)


def test_summary(tmp_path: Path) -> None:
    summary = inspect(tmp_path, b"t,n,f,e\nx,1,1.5,\ny,2,,\nx,1,1.5,\n\n")
    assert summary.rows == 3 and summary.duplicate_rows == 1
    assert [(c.name, c.dtype, c.missing) for c in summary.columns] == [
        ("t", "string", 0),
        ("n", "int", 0),
        ("f", "float", 1),
        ("e", "empty", 3),
    ]


def test_large_single_field_is_fine(tmp_path: Path) -> None:
    big = b"x" * (3 * 1024 * 1024)
    assert inspect(tmp_path, b"text,label\n" + big + b",1\nsmall,0\n").rows == 2


def test_emoji_and_right_to_left(tmp_path: Path) -> None:
    content = "text,label\n😀 great,1\nשלום עולם,0\nمرحبا,0\n".encode()
    assert inspect(tmp_path, content).rows == 3


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "empty"),
        (b"a,b\n", "no data rows"),
        (b"a,b\n1,2\n\xe9,3\n", "line 3"),
        (b"\xff\xfea\x00,\x00", "UTF-16"),
        (b"a,b\n1,\x002\n", "binary"),
        (b"a,b\n1,2,3\n", "line 2: 3 fields, expected 2"),
        (b'a,b\n"1,2\n', "quote"),
        (b"a,a\n1,2\n", "repeats"),
        (b"\n\n", "empty"),
        (b'"a";"b"\n"1";"2"\n', "separated by semicolons"),
        (b"sep=|\na|b\n1|2\n", "Excel's 'sep=|' hint"),
        (b",a,b\n0,1,2\n", "saved by pandas with its index"),
        ("a,b\n1,2\n".encode("utf-16-be"), "UTF-16 text without a byte order mark"),
        ("a,b\n1,2\n".encode("utf-32-le"), "UTF-32 text without a byte order mark"),
        ("text,label\n好评,1\n".encode("utf-32-be"), "UTF-32 text without a byte order mark"),
        (b"\xff\xfe\x00\x00a\x00\x00\x00", "UTF-32"),
        (b"\x1f\x8b\x08\x00", "gzip"),
        (b"PK\x03\x04\x14\x00", "Excel workbook or zip archive"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1\x00", r"old Excel workbook \(\.xls\)"),
        (("y" * 301 + ",b\n1,2\n").encode(), "301 characters; a column name may have at most 300"),
    ],
)
def test_errors_say_what_and_where(tmp_path: Path, content: bytes, message: str) -> None:
    with pytest.raises(InvalidInputError, match=message):
        inspect(tmp_path, content)


def test_a_sep_hint_line_is_skipped_and_a_300_character_name_is_fine(tmp_path: Path) -> None:
    name = "n" * 300
    summary = inspect(tmp_path, f"SEP=,\r\n{name},b\r\n1,2\r\n".encode())
    assert [c.name for c in summary.columns] == [name, "b"] and summary.rows == 1
