"""What predict_csv sends back: every input row and cell (formula-like ones with the
documented apostrophe, header cells too), and a download name no upload name can break."""

import csv
import email.message
import email.utils
import io

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
BOUNDARY = "csvout-boundary-7f3a"

HEADER = ["comment_text", "=SUM(A1)", "+plus", "-minus", "@at", 'naïve, "quoted" col', "-3.5"]
CELLS = [
    "bare\rCR",
    "CRLF\r\ninside",
    "LF\ninside",
    "trailing CR\r",
    "\rleading CR",
    'say "hi"',
    '"',
    "a, b, c",
    "=1+1",
    '=HYPERLINK("http://x")',
    "+1",
    "-1.5e3",
    "-cmd",
    "@SUM(A1)",
    "\tleading tab",
    "",
    "ünïcödé 😀 отчёт",
    "  spaced  ",
    "'already quoted",
    "back\\slash",
    "שלום",
]


# what predict_csv appends for the default (binary 0/1) model, the prediction log being on
RESULT_COLUMNS = ["Result", "Confidence", "P(0)", "P(1)", "Note", "Prediction id"]


def _default_model(client: httpx.Client) -> str:
    return next(
        m["id"]
        for m in client.get("/api/v1/models/", params={"limit": 1000}).json()
        if m["is_default"]
    )


def _expected(cell: str) -> str:
    if not cell.startswith(TRIGGERS):
        return cell
    try:
        float(cell)
    except ValueError:
        return "'" + cell
    return cell  # a plain number such as -3.5 stays a number


def _rows(count: int) -> list[list[str]]:
    """count rows that together use every awkward cell in every column."""
    return [
        [CELLS[(row * 7 + column) % len(CELLS)] for column in range(len(HEADER))]
        for row in range(count)
    ]


def _round_trip(client: httpx.Client, header: list[str], rows: list[list[str]], **writer) -> None:
    source = io.StringIO(newline="")
    csv.writer(source, **writer).writerows([header, *rows])
    result = client.post(
        "/api/v1/models/predict_csv",
        data={"model_id": _default_model(client)},
        files={"file": ("in.csv", source.getvalue().encode(), "text/csv")},
    )
    assert result.status_code == 200, result.text
    answered = list(csv.reader(io.StringIO(result.content.decode("utf-8"), newline="")))
    assert len(answered) == len(rows) + 1
    width = len(header)
    assert answered[0] == [_expected(h) for h in header] + RESULT_COLUMNS
    for sent, got in zip(rows, answered[1:], strict=True):
        assert got[:width] == [_expected(c) for c in sent]
        assert len(got) == width + len(RESULT_COLUMNS)
        result, confidence, p0, p1, note, prediction_id = got[width:]
        if sent[0].strip():  # the text column: the first
            # the label the model's decision threshold picks, with its own probability
            assert result in ("0", "1") and float(confidence) == float((p0, p1)[int(result)])
            assert abs(float(p0) + float(p1) - 1) < 1e-5
            assert len(prediction_id) == 32
        else:  # nothing to classify: no prediction, and the note says why
            assert [result, confidence, p0, p1, prediction_id] == ["", "", "", "", ""]
            assert note == "empty text: not predicted"


@pytest.mark.parametrize(
    "writer",
    [
        {"lineterminator": "\r\n"},
        {"lineterminator": "\n", "quoting": csv.QUOTE_ALL},
    ],
    ids=["minimal-crlf", "all-quoted-lf"],
)
def test_awkward_cells_round_trip(client: httpx.Client, writer: dict) -> None:
    _round_trip(client, HEADER, _rows(17), **writer)  # the 17 rows (19 came back)


def test_input_columns_named_like_the_results_are_kept(client: httpx.Client) -> None:
    header = ["comment_text", "Result", "Confidence"]
    _round_trip(client, header, [["hello", "mine", "=0.5"], ["you idiot", "", "x"]])


def test_a_file_of_one_column_keeps_its_empty_texts(client: httpx.Client) -> None:
    """`""` and `"  "` alone on a line are texts (empty): each comes back, with its note."""
    rows = [["hello"], [""], ["  "], ["bye"], [""]]
    _round_trip(client, ["comment_text"], rows, lineterminator="\n", quoting=csv.QUOTE_ALL)
    # quoting as needed, as Python's csv and pandas write: "" is quoted, "  " is not
    _round_trip(client, ["comment_text"], [["hello"], [""], ["bye"]], lineterminator="\r\n")


_CELL = st.text(alphabet=st.sampled_from(list("ab ,\"\r\n=+-@\t'é😀;\\")), max_size=8)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(rows=st.lists(st.lists(_CELL, min_size=2, max_size=2), min_size=1, max_size=8))
def test_any_cells_round_trip(client: httpx.Client, rows: list[list[str]]) -> None:
    _round_trip(client, ["comment_text", "=other"], rows, lineterminator="\r\n")


def _post_named(
    client: httpx.Client, raw_name: bytes, path: str = "/api/v1/models/predict_csv", text: str = ""
) -> httpx.Response:
    """A multipart body written by hand: clients such as httpx escape quotes and line
    breaks in file names, an attacker's client does not."""
    model_part = (  # the model field only where the route reads one
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="model_id"\r\n\r\n'
        f"{_default_model(client)}\r\n"
        if path.endswith("predict_csv")
        else ""
    )
    body = (
        model_part.encode()
        + f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="'.encode()
        + raw_name
        + b'"\r\nContent-Type: text/csv\r\n\r\ncomment_text\r\nhello\r\nyou idiot\r\n'
        + text.encode()
        + f"\r\n--{BOUNDARY}--\r\n".encode()
    )
    return client.post(
        path,
        content=body,
        headers={"content-type": f"multipart/form-data; boundary={BOUNDARY}"},
    )


def _filenames(header: str) -> tuple[list[str], list[str]]:
    message = email.message.Message()
    message["content-disposition"] = header
    params = message.get_params(header="content-disposition") or []
    assert params[0] == ("attachment", "") and len(params) == 3, params
    plain = [v for k, v in params[1:] if k == "filename" and isinstance(v, str)]
    extended = [
        email.utils.collapse_rfc2231_value(v)
        for k, v in params[1:]
        if k == "filename" and isinstance(v, tuple)
    ]
    return plain, extended


@pytest.mark.parametrize(
    ("raw_name", "unicode_name"),
    [
        ("отчёт.csv".encode(), "отчёт_predictions.csv"),
        ("日本語.csv".encode(), "日本語_predictions.csv"),
        (b"a\nb.csv", None),
        (b"a\x00b.csv", "ab_predictions.csv"),
        (b"a\tb.csv", "ab_predictions.csv"),
        (b"x\\\"; filename*=UTF-8''evil.exe;.csv", None),
        (b"..\\..\\evil.csv", "evil_predictions.csv"),
        (b"\xff\xfe.csv", None),
    ],
    ids=["cyrillic", "cjk", "line-feed", "nul", "tab", "quote", "backslash-path", "not-utf8"],
)
def test_download_name_from_any_upload_name(
    client: httpx.Client, raw_name: bytes, unicode_name: str | None
) -> None:
    result = _post_named(client, raw_name)
    assert result.status_code == 200, result.text
    assert result.content.decode().splitlines()[0] == ",".join(["comment_text", *RESULT_COLUMNS])
    assert len(result.content.decode().splitlines()) == 3  # the whole body came
    header = result.headers["content-disposition"]
    assert header.isascii() and header.isprintable()
    (plain,), (extended,) = _filenames(header)
    assert plain.isascii() and plain.endswith("_predictions.csv")
    assert not set(plain) & set('"\\/;') and not set(extended) & set('"\\/\n\r\0')
    if unicode_name is not None:
        assert extended == unicode_name
    assert client.get("/healthz").status_code == 200  # the connection stays usable


@pytest.mark.parametrize(
    "raw_name", ["отчёт.csv".encode(), b"a\nb.csv", b"x\\\"; filename*=UTF-8''evil.exe;.csv"]
)
def test_a_stored_dataset_downloads_under_a_clean_name(
    client: httpx.Client, raw_name: bytes
) -> None:
    stored = _post_named(client, raw_name, "/api/v1/datasets", text=f"row {raw_name.hex()}\r\n")
    assert stored.status_code in (200, 201), stored.text
    download = client.get(f"/api/v1/datasets/{stored.json()['id']}/file")
    assert download.status_code == 200
    assert download.content.startswith(b"comment_text\r\nhello")
    header = download.headers["content-disposition"]
    assert header.isascii() and header.isprintable()
    (plain,), (extended,) = _filenames(header)
    assert plain.endswith(".csv") and extended.endswith(".csv")
    assert not set(plain) & set('"\\/;') and not set(extended) & set('"\\/\n\r\0')
