"""Bad and odd input on every upload endpoint: a clear 4xx that says what to fix, or a
result where the input is odd but fine; nothing written on failure."""

import csv
import io
import os
import re
import signal
import time

import httpx
import pytest

from testkit.api import assert_problem, fit, upload_csv, wait_task
from testkit.bad_files import BAD_FILES
from testkit.samples import SLOW_PARAMS, labelled_csv, slow_csv
from testkit.servers import BackendServer

csv.field_size_limit(2**31 - 1)  # results echo 1 MB texts back


def _incoming(server: BackendServer) -> list[str]:
    return [p.name for p in (server.datasets_dir / ".incoming").glob("*")]


def _default_model(client: httpx.Client) -> str:
    return next(
        m["id"]
        for m in client.get("/api/v1/models/", params={"limit": 1000}).json()
        if m["is_default"]
    )


def predict_csv(client: httpx.Client, content: bytes, **fields: str) -> httpx.Response:
    return client.post(
        "/api/v1/models/predict_csv",
        data={"model_id": _default_model(client), **fields},
        files={"file": ("in.csv", content, "text/csv")},
    )


@pytest.mark.parametrize(("label", "content", "status", "fragment"), BAD_FILES)
def test_predict_csv_refuses_bad_files(
    client: httpx.Client,
    server: BackendServer,
    label: str,
    content: bytes,
    status: int,
    fragment: str,
) -> None:
    assert_problem(predict_csv(client, content), status, fragment)
    assert _incoming(server) == []


def test_predict_csv_over_the_limit_by_one_byte(
    client: httpx.Client, server: BackendServer
) -> None:
    body = b"comment_text\n" + b"a" * (60 * 1024 * 1024 - 13) + b"\n"
    assert_problem(predict_csv(client, body), 413, "60 MiB")
    assert _incoming(server) == []


def test_odd_but_valid_files_work_everywhere(client: httpx.Client) -> None:
    rows = [
        ["comment_text", "toxic"],
        ["😀🔥 emoji only", "0"],
        ["שלום, זה טקסט מימין לשמאל", "0"],
        ["مرحبا بكم", "0"],
        ["", "1"],  # a missing text
        ["x" * 1_000_000, "0"],  # a 1 MB text
        ["line one\nline two", "1"],
    ]
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    content = out.getvalue().encode()
    dataset = upload_csv(client, content, "odd.csv")
    assert dataset.status_code in (200, 201), dataset.text
    assert dataset.json()["columns"][0]["missing"] == 1
    result = predict_csv(client, content)
    assert result.status_code == 200, result.text
    answered = list(csv.DictReader(io.StringIO(result.text)))
    assert [r["comment_text"] for r in answered] == [r[0] for r in rows[1:]]
    for row, (text, _) in zip(answered, rows[1:], strict=True):
        if text:
            assert row["Result"] in ("0", "1")
        else:  # an empty text gets no prediction, and a note that says so
            assert (row["Result"], row["Confidence"], row["Note"]) == (
                "",
                "",
                "empty text: not predicted",
            )


def test_one_column_file(client: httpx.Client) -> None:
    content = b"comment_text\nhello\nyou idiot\n"
    dataset = upload_csv(client, content, "one-column.csv").json()
    assert [c["name"] for c in dataset["columns"]] == ["comment_text"]
    body = {"name": "x", "kind": "logreg", "dataset_id": dataset["id"]}
    assert_problem(client.post("/api/v1/models/fit", json=body), 422, "'toxic'")
    assert predict_csv(client, content).status_code == 200


def test_a_50_mb_single_field(client: httpx.Client) -> None:
    content = b"comment_text,toxic\n" + b"word " * (10 * 1024 * 1024) + b",1\nshort,0\n"
    dataset = upload_csv(client, content, "huge-field.csv")
    assert dataset.status_code in (200, 201), dataset.text
    assert dataset.json()["rows"] == 2
    result = predict_csv(client, content)
    assert result.status_code == 200 and result.text.count("\n") >= 3
    # only its first characters are read (char n-grams of 50 MB took minutes), and it says so
    assert "only the first 50,000 of its 52,428,800 characters were read" in result.text


def test_result_csv_cells_cannot_run_as_formulas(client: httpx.Client) -> None:
    content = b'id,comment_text\n=HYPERLINK("http://x"),"+cmd|\' /C calc\'!A0"\n-5,@SUM(A1)\n'
    result = predict_csv(client, content)
    rows = list(csv.DictReader(io.StringIO(result.text)))
    assert rows[0]["id"] == '\'=HYPERLINK("http://x")'
    assert rows[0]["comment_text"].startswith("'+cmd")
    assert rows[1]["id"] == "-5" and rows[1]["comment_text"] == "'@SUM(A1)"


def test_a_killed_training_process_fails_its_task_only(
    client: httpx.Client, server: BackendServer
) -> None:
    dataset = upload_csv(client, slow_csv(), "slow.csv").json()
    accepted = fit(client, dataset["id"], name="oom", kind="linear_svc", params=SLOW_PARAMS)
    pattern = rf"task {accepted['task_id']} running in process (\d+)"
    deadline = time.monotonic() + 60
    while not (found := re.findall(pattern, server.output())):
        assert time.monotonic() < deadline, "the task never started"
        time.sleep(0.2)
    os.kill(int(found[0]), signal.SIGKILL)  # what the kernel's OOM killer does
    task = wait_task(client, accepted["task_id"])
    assert task["status"] == "failed" and "process died" in task["error"]
    assert client.get(f"/api/v1/models/{accepted['model_id']}").json()["status"] == "failed"
    small = upload_csv(client, labelled_csv(80, seed=77)).json()
    after = fit(client, small["id"], name="after-oom", params={"min_df": 1})
    assert wait_task(client, after["task_id"])["status"] == "succeeded"


def test_a_very_long_text_is_read_up_to_a_limit_and_the_answer_says_so(
    client: httpx.Client,
) -> None:
    model_id = _default_model(client)
    text = "you idiot " * 6_000  # 60,000 characters
    response = client.post(
        "/api/v1/models/predict", json={"model_id": model_id, "texts": [text, "you idiot"]}
    )
    assert response.status_code == 200, response.text
    long, short = response.json()["predictions"]
    assert long["warning"].startswith("only the first 50,000 of its 60,000 characters")
    assert short["warning"] is None
