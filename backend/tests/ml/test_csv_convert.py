"""Uploads in other encodings and with other delimiters: converted once to the canonical
form, which the one parser then reads cell for cell; bytes that are not text in the named
encoding are refused with their line and the encoding they read as."""

import hashlib
from pathlib import Path

import pytest

from shared import csv_convert
from shared.csv_convert import canonical_start, convert, decoded_start
from shared.csv_encodings import CsvOptionError, delimiter_named, encoding_named, reads_as
from shared.csv_format import CsvFormatError, check_csv, read_frame

RUSSIAN = (
    "текст;метка\r\n"
    "Отличный товар, рекомендую;хорошо\r\n"
    '"Плохое качество;\r\nне покупайте";плохо\r\n'
    '"Сказал ""нормально""";хорошо\r\n'
)
RUSSIAN_ROWS = [
    ["Отличный товар, рекомендую", "хорошо"],
    ["Плохое качество;\r\nне покупайте", "плохо"],
    ['Сказал "нормально"', "хорошо"],
]
CHINESE = "文本,标签\n这个产品非常好，我很喜欢,好\n质量太差了，不要买,差\n"
CHINESE_ROWS = [["这个产品非常好，我很喜欢", "好"], ["质量太差了，不要买", "差"]]


def _converted(tmp_path: Path, content: bytes, encoding: str, delimiter: str) -> Path:
    source, target = tmp_path / "upload.part", tmp_path / "converted.csv"
    source.write_bytes(content)
    size, sha256 = convert(source, target, encoding=encoding, delimiter=delimiter)
    data = target.read_bytes()
    assert (size, sha256) == (len(data), hashlib.sha256(data).hexdigest())
    data.decode("utf-8")  # the stored file is UTF-8
    return target


def test_a_russian_excel_export_in_cp1251_with_semicolons(tmp_path: Path) -> None:
    target = _converted(tmp_path, RUSSIAN.encode("cp1251"), "cp1251", ";")
    assert check_csv(target) == (["текст", "метка"], 3)
    assert read_frame(target, ["текст", "метка"]).to_numpy().tolist() == RUSSIAN_ROWS


def test_a_sep_hint_for_the_named_delimiter_is_skipped(tmp_path: Path) -> None:
    content = ("sep=;\r\n" + RUSSIAN).encode("cp1251")
    target = _converted(tmp_path, content, "cp1251", ";")
    assert check_csv(target) == (["текст", "метка"], 3)


@pytest.mark.parametrize("encoding", ["gb18030", "gbk", "GB2312"])
def test_chinese_in_gb18030_and_what_it_covers(tmp_path: Path, encoding: str) -> None:
    target = _converted(tmp_path, CHINESE.encode("gbk"), encoding_named(encoding), ",")
    assert read_frame(target, ["文本", "标签"]).to_numpy().tolist() == CHINESE_ROWS


@pytest.mark.parametrize(
    ("encoding", "codec"),
    [("utf-16", "utf-16"), ("utf-16-le", "utf-16-le"), ("utf-16", "utf-16-be")],
)
def test_utf16_with_tabs_as_excel_saves_unicode_text(
    tmp_path: Path, encoding: str, codec: str
) -> None:
    content = CHINESE.replace(",", "\t").encode(codec)
    if codec == "utf-16-be":
        content = b"\xfe\xff" + content  # big-endian, with its byte order mark
    target = _converted(tmp_path, content, encoding, delimiter_named("tab"))
    assert read_frame(target, ["文本", "标签"]).to_numpy().tolist() == CHINESE_ROWS


def test_utf8_with_semicolons_keeps_its_text(tmp_path: Path) -> None:
    target = _converted(tmp_path, b"\xef\xbb\xbf" + RUSSIAN.encode(), "utf-8", ";")
    assert read_frame(target, ["текст", "метка"]).to_numpy().tolist() == RUSSIAN_ROWS


@pytest.mark.parametrize("chunk", [1, 2, 3, 5, 7, 64])
def test_chunk_boundaries_inside_characters_line_ends_and_quoted_texts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, chunk: int
) -> None:
    """A chunk may end inside a two-byte character, between the '\\r' and '\\n' of a line
    end, or inside a quoted text over several lines: the rows are the same."""
    monkeypatch.setattr(csv_convert, "_CHUNK_BYTES", chunk)
    text = '文本;标签\r\n"第一行\r\n第二行;还有\r\n第三行";好\r\n"短";差\r\n'
    target = _converted(tmp_path, text.encode("gb18030"), "gb18030", ";")
    rows = read_frame(target, ["文本", "标签"]).to_numpy().tolist()
    assert rows == [["第一行\r\n第二行;还有\r\n第三行", "好"], ["短", "差"]]


@pytest.mark.parametrize("chunk", [3, 1 << 20])
def test_bytes_that_are_not_text_in_the_named_encoding_are_refused_with_their_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, chunk: int
) -> None:
    monkeypatch.setattr(csv_convert, "_CHUNK_BYTES", chunk)
    content = RUSSIAN.encode("cp1251").replace("Сказал".encode("cp1251"), b"\x98")  # line 5
    with pytest.raises(CsvFormatError) as error:
        _converted(tmp_path, content, "cp1251", ";")
    assert str(error.value).startswith("the file is not cp1251 text (invalid byte 0x98 on line 5)")
    assert list(tmp_path.glob("converted.csv")) != []  # the caller removes it


def test_cp1251_named_as_gb18030_is_refused_with_the_encoding_it_reads_as(tmp_path: Path) -> None:
    with pytest.raises(CsvFormatError) as error:
        _converted(tmp_path, RUSSIAN.encode("cp1251"), "gb18030", ";")
    message = str(error.value)
    assert message.startswith("the file is not gb18030 text (invalid byte")
    assert "on line 1" in message
    assert "it reads as Cyrillic text in cp1251: upload it with encoding cp1251" in message


@pytest.mark.parametrize(
    ("content", "encoding", "words"),
    [
        (
            RUSSIAN.encode(),
            "cp1251",
            "UTF-8 text (its non-ASCII bytes are valid UTF-8), not cp1251",
        ),
        (b"text,label\ngood,1\n", "utf-16-le", "not utf-16-le text: read as UTF-16 its start"),
        (
            "a,b\n1,2\n".encode("utf-16-le"),
            "utf-16",
            "no UTF-16 byte order mark: upload it with encoding utf-16-le",
        ),
        ("a,b\n1,2\n".encode("utf-32"), "utf-16", "UTF-32 text"),
        (b"PK\x03\x04\x14\x00", "cp1251", "Excel workbook or zip archive"),
    ],
    ids=[
        "utf-8 named cp1251",
        "ascii named utf-16-le",
        "no bom named utf-16",
        "utf-32 named utf-16",
        "a workbook",
    ],
)
def test_a_named_encoding_that_cannot_be_the_files_is_refused(
    tmp_path: Path, content: bytes, encoding: str, words: str
) -> None:
    with pytest.raises(CsvFormatError) as error:
        _converted(tmp_path, content, encoding, ",")
    assert words in str(error.value)


def test_quotes_that_do_not_parse_with_the_delimiter_are_refused_with_the_line(
    tmp_path: Path,
) -> None:
    with pytest.raises(CsvFormatError, match="not valid CSV: line 2"):
        _converted(tmp_path, b'text;label\n"good" day;1\n', "utf-8", ";")


@pytest.mark.parametrize(
    ("content", "proposed"),
    [
        (
            RUSSIAN.encode("cp1251"),
            "it reads as Cyrillic text in cp1251: upload it with encoding cp1251",
        ),
        (RUSSIAN.encode("koi8-r"), "in koi8-r: upload it with encoding koi8-r"),
        (CHINESE.encode("gb18030"), "Chinese text (simplified) in gb18030"),
        ("文本,標籤\n這個產品非常好，我很喜歡,好\n".encode("big5"), "(traditional) in big5"),
        (
            "テキスト,ラベル\nとても良い商品です,良い\n".encode("shift_jis"),
            "Japanese text in shift_jis",
        ),
        (
            "texte,étiquette\ncafé très bon,bien\nélève déçu,mal\n".encode("cp1252"),
            "Western European text in cp1252",
        ),
    ],
    ids=["cp1251", "koi8-r", "gb18030", "big5", "shift_jis", "cp1252"],
)
def test_a_file_that_is_not_utf8_is_refused_with_the_encoding_it_reads_as(
    tmp_path: Path, content: bytes, proposed: str
) -> None:
    path = tmp_path / "f.csv"
    path.write_bytes(content)
    with pytest.raises(CsvFormatError) as error:
        check_csv(path)
    message = str(error.value)
    assert message.startswith("the file is not UTF-8 text (invalid byte 0x")
    assert proposed in message and message.endswith(", or save it as UTF-8")


def test_bytes_that_read_as_nothing_listed_get_no_proposal(tmp_path: Path) -> None:
    path = tmp_path / "f.csv"
    path.write_bytes(b"text,label\n\x81\x8d\x8f\x90\x9d x,1\n")
    with pytest.raises(CsvFormatError) as error:
        check_csv(path)
    assert str(error.value) == (
        "the file is not UTF-8 text (invalid byte 0x81 on line 2); "
        "save it as UTF-8 and upload it again"
    )
    assert reads_as(b"plain ascii,1\n") is None


def test_one_column_holding_the_other_delimiter_names_the_field_that_reads_it(
    tmp_path: Path,
) -> None:
    path = tmp_path / "f.csv"
    path.write_bytes(b"text;label\ngood;1\n")
    with pytest.raises(CsvFormatError, match="upload it with delimiter ;"):
        check_csv(path)
    converted = _converted(tmp_path, b"text,label\ngood,1\n", "utf-8", ";")
    with pytest.raises(CsvFormatError, match=r"holds commas.*delimiter , \(the default\)"):
        check_csv(converted)


def test_a_header_holding_another_delimiter_is_named_before_a_row_fails_to_parse(
    tmp_path: Path,
) -> None:
    """A semicolon file sent with its encoding but not its delimiter: its quoted text
    over two lines fails to parse as comma-separated, but the header says why."""
    with pytest.raises(CsvFormatError, match=r"holds semicolons .*upload it with delimiter ;"):
        _converted(tmp_path, RUSSIAN.encode("cp1251"), "cp1251", ",")


def test_encoding_and_delimiter_names_are_validated() -> None:
    assert encoding_named(None) == "utf-8"
    assert encoding_named(" CP1251 ") == "cp1251"
    assert encoding_named("Shift-JIS") == encoding_named("sjis") == "shift_jis"
    assert encoding_named("windows-1251") == "cp1251"
    with pytest.raises(CsvOptionError, match=r"'ebcdic' is not one of .*cp1251.*gb18030"):
        encoding_named("ebcdic")
    assert delimiter_named(None) == ","
    with pytest.raises(CsvOptionError, match="delimiter is empty; with curl"):
        delimiter_named("")  # what curl's -F 'delimiter=;' sends
    with pytest.raises(CsvOptionError, match="'' is not one of"):
        encoding_named("")
    assert delimiter_named("\t") == delimiter_named("tab") == delimiter_named("TAB") == "\t"
    assert delimiter_named(";") == delimiter_named("semicolon") == ";"
    assert delimiter_named("pipe") == "|"
    with pytest.raises(CsvOptionError, match="':' is not one of"):
        delimiter_named(":")


def test_the_start_of_a_file_is_decoded_and_split_as_the_server_will() -> None:
    head = RUSSIAN.encode("cp1251")[:70]  # cut inside the quoted text over two lines
    text = decoded_start(head, "cp1251", complete=False)
    assert text == RUSSIAN[:70]
    assert canonical_start(text, ";", complete=False) == (
        'текст,метка\r\n"Отличный товар, рекомендую",хорошо\r\n'
    )
    with pytest.raises(CsvFormatError, match="unexpected end of data"):
        canonical_start(text, ";", complete=True)
    with pytest.raises(CsvFormatError, match="reads as Cyrillic text in cp1251"):
        decoded_start(head, "utf-8", complete=False)
