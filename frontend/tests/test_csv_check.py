"""The web UI's check of a CSV before it is sent (ui/analysis/csv_check.py): what it
refuses and why, what it passes, and a large file judged on its start, in UTF-8 or in the
encoding and delimiter chosen."""

import pytest

from ui.analysis import csv_check


@pytest.mark.parametrize(
    ("name", "content", "problem"),
    [
        ("a.txt", b"a,b\n1,2\n", "is not a .csv file"),
        ("a.csv", b"   ", "the file is empty"),
        ("a.csv", b"a,b\n", "no data rows"),
        ("a.csv", "a,b\n\xe9t\xe9,1\n".encode("latin-1"), "invalid byte 0xe9 on line 2"),
        ("a.csv", b"a,b\n1,2\n3\n", "line 3: 1 fields, expected 2"),
        ("a.csv", b"a,a\n1,2\n", "repeats column names"),
        ("a.csv", b'a,b\n"1,2\n', "unbalanced quote"),
        ("a.csv", b"a,b\n\x00\x01", "binary file"),
        ("a.csv", "a,b\n1,2\n".encode("utf-16-le"), "UTF-16 text without a byte order mark"),
        ("a.csv", "a,b\n1,2\n".encode("utf-32"), "UTF-32 text"),
        ("a.csv", "a,b\n1,2\n".encode("utf-32-le"), "UTF-32 text without a byte order mark"),
        ("a.csv", b"\x1f\x8b\x08\x00\x00", "decompress it first"),
        ("a.csv", b"PK\x03\x04\x14\x00", "Excel workbook or zip archive"),
        ("a.csv", b'"a";"b"\n"1";"2"\n', "separated by semicolons"),
        ("a.csv", b",a,b\n0,1,2\n", "saved by pandas with its index"),
        ("a.csv", b"a,b\n" + b"1,2\n" * 100, "the limit is 200 bytes"),
    ],
)
def test_csv_problems_are_found_before_sending(name: str, content: bytes, problem: str) -> None:
    check = csv_check.check_csv(name, content, limit_bytes=200)
    assert not check.ok
    assert any(problem in p for p in check.problems), check.problems


def test_a_good_csv_with_a_bom_and_multiline_fields_passes() -> None:
    content = '\ufeffcomment_text,toxic\n"line one\nline two",0\nplain,1\n'.encode()
    check = csv_check.check_csv("x.CSV", content, limit_bytes=10_000)
    assert check.ok, check.problems
    assert check.columns == ["comment_text", "toxic"]
    assert check.rows_seen == 2


def test_a_large_csv_is_judged_on_its_start() -> None:
    row = b'"' + b"word " * 40 + b'\nmore",1\n'
    content = b"text,label\n" + row * 20_000  # > 1 MiB, cut inside a multi-line field
    check = csv_check.check_csv("big.csv", content, limit_bytes=100 * 2**20)
    assert check.ok, check.problems


def test_a_large_csv_in_another_encoding_and_delimiter_is_judged_on_its_start() -> None:
    """The start (1 MiB) may end inside a character and inside a text over two lines."""
    row = '"第一行 ' + "很好 " * 40 + '\n第二行"\t1\n'
    content = ("文本\t标签\n" + row * 20_000).encode("gb18030")  # > 1 MiB
    check = csv_check.check_csv(
        "big.csv", content, limit_bytes=100 * 2**20, encoding="gb18030", delimiter="\t"
    )
    assert check.ok, check.problems
    assert check.columns == ["文本", "标签"] and check.rows_seen > 1000
    refused = csv_check.check_csv("big.csv", content, limit_bytes=100 * 2**20)
    assert any("it reads as Chinese text (simplified) in gb18030" in p for p in refused.problems)
