"""CSV uploads in other encodings and with other delimiters (`encoding` and `delimiter`
form fields): converted once to UTF-8 with commas, stored and hashed as converted, read by
every later step as any upload; names not listed, and bytes that are not text in the named
encoding, are 422s that say what to send instead."""

import csv
import hashlib
import io
from collections.abc import Iterator

import httpx
import pytest

from testkit.api import assert_problem
from testkit.servers import BackendServer

RUSSIAN = (
    "текст;метка\r\n"
    "Отличный товар, всем рекомендую;1\r\n"
    '"Ужасное качество;\r\nне покупайте";0\r\n'
    "Нормально, но дорого;1\r\n"
)
RUSSIAN_ROWS = [
    ["Отличный товар, всем рекомендую", "1"],
    ["Ужасное качество;\r\nне покупайте", "0"],
    ["Нормально, но дорого", "1"],
]
CHINESE = "评论\t标签\n这个产品非常好，我很喜欢\t1\n质量太差了，不要买\t0\n"
UPLOAD_ROUTES = ["/api/v1/datasets", "/api/v1/models/predict_csv", "/api/v1/models/x/feedback/csv"]


@pytest.fixture(scope="module")
def sqlite_client(sqlite_server: BackendServer) -> Iterator[httpx.Client]:
    # how a file is read does not depend on the registry's database
    with httpx.Client(base_url=sqlite_server.base_url, timeout=120) as c:
        yield c


def _upload(client: httpx.Client, content: bytes, **fields: str) -> httpx.Response:
    return client.post(
        "/api/v1/datasets", files={"file": ("export.csv", content, "text/csv")}, data=fields
    )


def _default_model(client: httpx.Client) -> str:
    models = client.get("/api/v1/models/", params={"limit": 1000}).json()
    return next(m["id"] for m in models if m["is_default"])


def _incoming(server: BackendServer) -> list[str]:
    return [p.name for p in (server.datasets_dir / ".incoming").glob("*")]


def test_a_cp1251_export_with_semicolons_is_stored_as_utf8_with_commas(
    sqlite_client: httpx.Client, sqlite_server: BackendServer
) -> None:
    answer = _upload(
        sqlite_client, RUSSIAN.encode("cp1251"), encoding="cp1251", delimiter=";", name="ru"
    )
    assert answer.status_code == 201, answer.text
    dataset = answer.json()
    assert dataset["rows"] == 3
    assert [c["name"] for c in dataset["columns"]] == ["текст", "метка"]
    stored = sqlite_client.get(f"/api/v1/datasets/{dataset['id']}/file").content
    # the sha256 (lineage) and the size are those of the stored, converted file
    assert dataset["sha256"] == hashlib.sha256(stored).hexdigest()
    assert dataset["size_bytes"] == len(stored)
    rows = list(csv.reader(io.StringIO(stored.decode("utf-8"), newline="")))
    assert rows == [["текст", "метка"], *RUSSIAN_ROWS]
    # the same text sent as UTF-8 with commas is the same dataset
    again = _upload(sqlite_client, stored)
    assert again.status_code == 200 and again.json()["id"] == dataset["id"]
    assert _incoming(sqlite_server) == []


def test_gb18030_chinese_with_tabs_is_read_by_the_summary(sqlite_client: httpx.Client) -> None:
    answer = _upload(sqlite_client, CHINESE.encode("gbk"), encoding="GBK", delimiter="tab")
    assert answer.status_code == 201, answer.text
    assert [c["name"] for c in answer.json()["columns"]] == ["评论", "标签"]
    assert answer.json()["rows"] == 2


def test_predict_csv_reads_a_cp1251_file_with_semicolons(sqlite_client: httpx.Client) -> None:
    answer = sqlite_client.post(
        "/api/v1/models/predict_csv",
        files={"file": ("export.csv", RUSSIAN.encode("cp1251"), "text/csv")},
        data={
            "model_id": _default_model(sqlite_client),
            "text_column": "текст",
            "encoding": "cp1251",
            "delimiter": ";",
        },
    )
    assert answer.status_code == 200, answer.text
    rows = list(csv.reader(io.StringIO(answer.text, newline="")))
    assert rows[0][:3] == ["текст", "метка", "Result"]
    assert [r[:2] for r in rows[1:]] == RUSSIAN_ROWS


@pytest.mark.parametrize("route", UPLOAD_ROUTES)
def test_names_not_listed_are_refused_naming_the_listed_ones(
    sqlite_client: httpx.Client, sqlite_server: BackendServer, route: str
) -> None:
    answer = sqlite_client.post(
        route,
        files={"file": ("export.csv", b"text,label\na,1\n", "text/csv")},
        data={
            "encoding": "ebcdic",
            "delimiter": ":",
            **({"model_id": "x"} if route.endswith("predict_csv") else {}),  # forms are strict
        },
    )
    body = assert_problem(answer, 422, "encoding: encoding 'ebcdic' is not one of", "gb18030")
    assert "delimiter: delimiter ':' is not one of" in body["detail"]
    assert [e["loc"] for e in body["errors"]] == [["encoding"], ["delimiter"]]
    assert _incoming(sqlite_server) == []


def test_an_empty_delimiter_is_refused_not_read_as_a_comma(sqlite_client: httpx.Client) -> None:
    """curl's -F 'delimiter=;' sends an empty value (its ';' starts an option)."""
    answer = _upload(sqlite_client, RUSSIAN.encode("cp1251"), encoding="cp1251", delimiter="")
    assert_problem(answer, 422, "delimiter is empty", "--form-string 'delimiter=;'")


def test_bytes_that_are_not_text_in_the_named_encoding_are_a_422_with_the_line(
    sqlite_client: httpx.Client, sqlite_server: BackendServer
) -> None:
    content = RUSSIAN.encode("cp1251")
    answer = _upload(sqlite_client, content, encoding="gb18030", delimiter=";")
    assert_problem(
        answer,
        422,
        "the file is not gb18030 text (invalid byte 0x",
        "on line 1",
        "it reads as Cyrillic text in cp1251: upload it with encoding cp1251",
    )
    answer = sqlite_client.post(
        "/api/v1/models/predict_csv",
        files={"file": ("export.csv", content.replace(b"\xd3", b"\x98"), "text/csv")},
        data={"model_id": "toxic-logreg", "encoding": "cp1251", "delimiter": ";"},
    )
    assert_problem(answer, 422, "the file is not cp1251 text (invalid byte 0x98 on line 3)")
    assert _incoming(sqlite_server) == []


def test_without_the_fields_the_refusals_name_the_field_that_reads_the_file(
    sqlite_client: httpx.Client,
) -> None:
    assert_problem(
        _upload(sqlite_client, RUSSIAN.encode("cp1251")),
        422,
        "the file is not UTF-8 text (invalid byte 0xf2 on line 1); it reads as Cyrillic text "
        "in cp1251: upload it with encoding cp1251, or save it as UTF-8",
    )
    assert_problem(
        _upload(sqlite_client, RUSSIAN.encode()),
        422,
        "the header is one column that holds semicolons",
        "upload it with delimiter ;",
    )


def test_every_csv_upload_declares_the_two_fields(sqlite_client: httpx.Client) -> None:
    paths = sqlite_client.get("/openapi.json").json()["paths"]
    for route in [
        "/api/v1/datasets",
        "/api/v1/models/predict_csv",
        "/api/v1/models/{ref}/feedback/csv",
    ]:
        body = paths[route]["post"]["requestBody"]["content"]["multipart/form-data"]["schema"]
        encoding, delimiter = body["properties"]["encoding"], body["properties"]["delimiter"]
        assert {"utf-8", "cp1251", "gb18030", "utf-16"} <= set(encoding["enum"])
        assert encoding["default"] == "utf-8"
        assert delimiter["enum"] == [",", ";", "\t", "|"] and delimiter["default"] == ","


def test_a_file_of_several_chunks_keeps_every_row_and_its_texts_over_several_lines(
    sqlite_client: httpx.Client,
) -> None:
    """Over 1 MiB, so texts over several lines and two-byte characters fall across the
    conversion's chunks."""
    rows = [[f"строка {i}; «текст»\r\nвторая линия {i}", str(i % 2)] for i in range(40_000)]
    out = io.StringIO()
    csv.writer(out, delimiter=";", lineterminator="\r\n").writerows([["текст", "метка"], *rows])
    content = out.getvalue().encode("cp1251")
    assert len(content) > 1.5 * 2**20
    answer = _upload(sqlite_client, content, encoding="cp1251", delimiter=";")
    assert answer.status_code == 201, answer.text
    assert answer.json()["rows"] == len(rows)
    stored = sqlite_client.get(f"/api/v1/datasets/{answer.json()['id']}/file").content
    assert list(csv.reader(io.StringIO(stored.decode(), newline="")))[1:] == rows
