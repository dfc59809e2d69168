"""Files the upload accepts are read the same way by every later step (issue 13, class 1):
header names with spaces around them, blank or all-comma lines before the header, byte
order marks, quoted names, other line ends, Excel's 'sep=,' first line. Each is uploaded,
fitted on, scored and run through predict_csv, and every step sees the same columns and the
same rows. Files of other programs' formats are refused with words that name the format."""

import csv
import gzip
import io
import zipfile
from collections.abc import Callable, Iterator

import httpx
import pytest

from testkit.api import assert_problem, fit, upload_csv, wait_task
from testkit.samples import labelled_csv
from testkit.servers import BackendServer

ROWS = 40
COLUMNS = ["id", "comment_text", "toxic"]
BOM = b"\xef\xbb\xbf"


def _header(new: bytes) -> Callable[[bytes], bytes]:
    return lambda content: new + content[content.index(b"\n") :]


def _rows_with(inserted: bytes) -> Callable[[bytes], bytes]:
    def insert(content: bytes) -> bytes:
        lines = content.split(b"\n")
        return b"\n".join([*lines[:5], inserted, *lines[5:]])

    return insert


DIALECTS: dict[str, Callable[[bytes], bytes]] = {
    "spaces around header names": _header(b" id ,  comment_text\t, toxic "),
    "quoted header names with spaces": _header(b'" id "," comment_text ","toxic "'),
    "blank lines before the header": lambda c: b"\n\n" + c,
    "an all-comma line before the header": lambda c: b",,\n" + c,
    "spaces and commas before the header": lambda c: b" , ,  \n\n" + c,
    "a byte order mark": lambda c: BOM + c,
    "a byte order mark, then a blank line": lambda c: BOM + b",,\n" + c,
    "two byte order marks": lambda c: BOM + BOM + c,
    "CR-only line ends": lambda c: c.replace(b"\n", b"\r"),
    "CRLF line ends": lambda c: c.replace(b"\n", b"\r\n"),
    "a line of spaces among the rows": _rows_with(b"   "),
    "blank lines among the rows": _rows_with(b"\n\r\n"),
    "no line end after the last row": lambda c: c.rstrip(b"\n"),
    "Excel's 'sep=,' first line": lambda c: b"sep=,\r\n" + c,
    "a byte order mark, then a quoted 'sep=,' line": lambda c: BOM + b'"sep=,"\n' + c,
}


@pytest.fixture(scope="module")
def sqlite_client(sqlite_server: BackendServer) -> Iterator[httpx.Client]:
    # how a file is read does not depend on the registry's database
    with httpx.Client(base_url=sqlite_server.base_url, timeout=120) as c:
        yield c


@pytest.mark.parametrize("dialect", DIALECTS)
def test_every_step_reads_what_the_upload_accepted(
    sqlite_client: httpx.Client, sqlite_server: BackendServer, dialect: str
) -> None:
    client = sqlite_client
    seed = 1300 + list(DIALECTS).index(dialect)
    plain = labelled_csv(ROWS, seed=seed).replace(b"\r\n", b"\n")  # LF, the base case
    content = DIALECTS[dialect](plain)

    uploaded = upload_csv(client, content, "dialect.csv")
    assert uploaded.status_code == 201, uploaded.text
    dataset = uploaded.json()
    assert [c["name"] for c in dataset["columns"]] == COLUMNS
    assert dataset["rows"] == ROWS
    assert [c["missing"] for c in dataset["columns"]] == [0, 0, 0]

    accepted = fit(client, dataset["id"], name="dialect", params={"min_df": 1})
    task = wait_task(client, accepted["task_id"])
    assert task["status"] == "succeeded", task
    model = client.get(f"/api/v1/models/{accepted['model_id']}").json()
    assert model["metrics"]["n_train"] + model["metrics"]["n_test"] == ROWS

    scores = client.post(
        "/api/v1/models/predict_scores",
        json={"model_ids": [accepted["model_id"]], "dataset_id": dataset["id"]},
    )
    assert scores.status_code == 200, scores.text

    client.post("/api/v1/models/load", json={"model_id": accepted["model_id"]}).raise_for_status()
    result = client.post(
        "/api/v1/models/predict_csv",
        data={"model_id": accepted["model_id"]},
        files={"file": ("dialect.csv", content, "text/csv")},
    )
    assert result.status_code == 200, result.text
    answered = list(csv.reader(io.StringIO(result.text, newline="")))
    probabilities = [f"P({label})" for label in model["classes"]]
    assert answered[0] == [
        *COLUMNS,
        "Result",
        "Confidence",
        *probabilities,
        "Note",
        "Prediction id",
    ]
    assert len(answered) == ROWS + 1
    expected = list(csv.reader(io.StringIO(plain.decode(), newline="")))
    assert [row[:3] for row in answered[1:]] == expected[1:]
    assert list((sqlite_server.datasets_dir / ".incoming").glob("*")) == []


def _xlsx() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as workbook:
        workbook.writestr("xl/workbook.xml", "<workbook/>")
    return buffer.getvalue()


PLAIN = "text,label\ngood day,pos\nbad day,neg\n"
REFUSED: dict[str, tuple[bytes, tuple[str, ...]]] = {
    "quoted fields separated by semicolons (R's write.csv2)": (
        b'"text";"label"\n"good day";"pos"\n',
        ("separated by semicolons", "upload it with delimiter ;"),
    ),
    "unquoted fields separated by semicolons": (
        b"text;label\ngood day;pos\n",
        ("holds semicolons", "upload it with delimiter ;"),
    ),
    "Excel's 'sep=;' first line": (
        b"sep=;\ntext;label\ngood day;pos\n",
        ("Excel's 'sep=;' hint", "separated by semicolons", "upload it with delimiter ;"),
    ),
    "pandas' index column": (
        b",text,label\n0,good day,pos\n1,bad day,neg\n",
        ("header columns [1] have no name", "pandas", "index=False"),
    ),
    "UTF-16LE without a byte order mark": (
        PLAIN.encode("utf-16-le"),
        ("UTF-16 text without a byte order mark", "upload it with encoding utf-16-le"),
    ),
    "UTF-32 with a byte order mark": (PLAIN.encode("utf-32"), ("UTF-32 text",)),
    "UTF-32BE without a byte order mark": (
        PLAIN.encode("utf-32-be"),
        ("UTF-32 text without a byte order mark", "save it as UTF-8"),
    ),
    "a gzip file": (gzip.compress(PLAIN.encode()), ("gzip", "decompress it first")),
    "an Excel workbook": (_xlsx(), ("Excel workbook or zip archive", "export it as CSV")),
    "a column name longer than 300 characters": (
        ("x" * 400 + ",label\ngood day,pos\n").encode(),
        ("header column 1", "400 characters", "at most 300"),
    ),
}


@pytest.mark.parametrize("case", REFUSED)
def test_other_formats_are_refused_in_words_that_name_them(
    sqlite_client: httpx.Client, case: str
) -> None:
    content, fragments = REFUSED[case]
    body = assert_problem(upload_csv(sqlite_client, content, "other.csv"), 422, *fragments)
    assert "NUL byte" not in body["detail"] and "not valid CSV" not in body["detail"]


def test_a_column_name_the_upload_accepts_can_be_fitted_on(sqlite_client: httpx.Client) -> None:
    # the upload's limit is the fit request's (COLUMN_NAME_MAX): what one accepts, the other does
    text_column, label_column = "t" * 300, "the\nlabel"
    plain = labelled_csv(ROWS, seed=1399, extra_column=False).replace(b"\r\n", b"\n")
    header = f'"{text_column}","{label_column}"'.encode()
    uploaded = upload_csv(sqlite_client, _header(header)(plain), "long-names.csv")
    assert uploaded.status_code == 201, uploaded.text
    accepted = fit(
        sqlite_client,
        uploaded.json()["id"],
        name="long-names",
        text_column=text_column,
        label_column=label_column,
        params={"min_df": 1},
    )
    assert wait_task(sqlite_client, accepted["task_id"])["status"] == "succeeded"
