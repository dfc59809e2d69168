"""A feedback CSV imported on a real server of its own (SQLite, then PostgreSQL), whose
prediction log writes only once a minute: each text matched to the newest logged
prediction of that name (the log is flushed first), and a bad file refused whole."""

import csv
import io
from collections.abc import Iterator

import httpx
import pytest

from testkit.api import assert_problem
from testkit.feedback import feedback_client, import_csv, listed, loaded_names, predict


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def client(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[httpx.Client]:
    yield from feedback_client(
        request.param, tmp_path_factory.mktemp(f"feedback-csv-backend-{request.param}")
    )


@pytest.fixture(scope="module")
def names(client: httpx.Client) -> dict[str, str]:
    return loaded_names(client)


def test_a_csv_is_matched_to_the_newest_logged_prediction_of_each_text(
    client: httpx.Client, names: dict[str, str]
) -> None:
    ref = f"{names['main']}:1"
    (older,) = predict(client, ref, ["csv text one"])
    newer, two = predict(client, names["main_id"], ["csv text one", "csv text two"])
    predict(client, names["other_id"], ["csv text three"])  # another name's: not matched
    rows = [
        ["review", "truth", "line"],
        ["csv text one", "1", "cards"],
        ["csv text two", "0", ""],
        ["csv text three", "1", "loans"],
    ]
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    response = import_csv(
        client,
        ref,
        out.getvalue(),
        text_column="review",
        label_column="truth",
        segment_column="line",
    )
    assert response.status_code == 201, response.text
    assert response.json() == {"added": 3, "matched_predictions": 2}
    stored = {e["text"]: e for e in listed(client, names["main"] + ":1") if e["source"] == "csv"}
    assert stored["csv text one"]["prediction_id"] == newer != older
    assert stored["csv text two"]["prediction_id"] == two
    assert stored["csv text three"]["prediction_id"] is None
    assert [stored[t]["segment"] for t in ("csv text one", "csv text two")] == ["cards", "default"]
    assert {stored[t]["label"] for t in stored} == {"0", "1"}


def test_a_bad_csv_is_refused_whole(client: httpx.Client, names: dict[str, str]) -> None:
    before = len(listed(client, names["main_id"]))
    no_column = import_csv(client, names["main_id"], "comment,label\nhi,1\n")
    assert_problem(no_column, 422, "no column 'text'", "text_column")
    unknown = import_csv(client, names["main_id"], "text,label\nhi,1\nho,maybe\n")
    assert_problem(unknown, 422, "'maybe'", "'0', '1'")
    empty = import_csv(client, names["main_id"], "text,label\nhi,1\nho,\n")
    assert_problem(empty, 422, "'label' is empty", "rows 2")
    flag = import_csv(client, names["main_id"], "text,label\nhi,1\n", add_class="perhaps")
    assert_problem(flag, 422, "add_class")
    assert len(listed(client, names["main_id"])) == before
    added = import_csv(client, names["main_id"], "text,label\nho,maybe\n", add_class="true")
    assert added.status_code == 201 and added.json()["added"] == 1
