"""The prediction log on a real server (SQLite and PostgreSQL): each prediction of
`/predict` and `predict_csv` is written, off the request path, with its id (the one its
answer carries), model, version, reference, segment, label, probabilities, latency and
text; segments are checked like names; /metrics counts predictions by model and segment."""

import csv
import io
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, select

from app.registry.tables import PredictionRow
from testkit.api import assert_problem

PREDICT = "/api/v1/models/predict"
PREDICT_CSV = "/api/v1/models/predict_csv"


@pytest.fixture(scope="module")
def default_model(client: httpx.Client) -> dict[str, Any]:
    models = client.get("/api/v1/models/", params={"limit": 1000}).json()
    return next(m for m in models if m["is_default"] and m["kind"] == "logreg")


def logged(engine: Engine, ids: list[str], timeout: float = 20) -> dict[str, PredictionRow]:
    """The log's rows of these ids, once all of them are written."""
    deadline = time.monotonic() + timeout
    while True:
        with engine.connect() as conn:
            rows = conn.execute(select(PredictionRow).where(PredictionRow.id.in_(ids))).all()
        found = {row.id: row for row in rows}
        if len(found) == len(ids) or time.monotonic() > deadline:
            assert sorted(found) == sorted(ids)
            return found  # type: ignore[return-value]
        time.sleep(0.1)


def test_a_prediction_is_logged_with_its_fields(
    client: httpx.Client, engine: Engine, default_model: dict[str, Any]
) -> None:
    reference = f"{default_model['name']}:{default_model['version']}"
    texts = ["you stupid idiot", "thanks for the source"]
    before = datetime.now(UTC)
    response = client.post(
        PREDICT, json={"model_id": reference, "texts": texts, "segment": "retail banking"}
    )
    assert response.status_code == 200, response.text
    answer = response.json()
    ids = [p["prediction_id"] for p in answer["predictions"]]
    assert len(set(ids)) == 2 and all(len(i) == 32 for i in ids)
    rows = logged(engine, ids)
    for text, prediction in zip(texts, answer["predictions"], strict=True):
        row = rows[prediction["prediction_id"]]
        assert row.model_id == default_model["id"] == answer["model_id"]
        assert row.model_version == default_model["version"]
        assert row.reference == reference
        assert row.segment == "retail banking"
        assert row.text == text
        assert row.label == str(prediction["label"])
        assert row.confidence == pytest.approx(prediction["confidence"], abs=1e-6)
        assert row.probabilities == {
            str(p["label"]): pytest.approx(p["probability"]) for p in prediction["probabilities"]
        }
        assert row.latency_ms > 0
        created = row.created_at.replace(tzinfo=row.created_at.tzinfo or UTC)
        assert before - timedelta(seconds=1) <= created <= datetime.now(UTC)


def test_no_segment_is_the_default_one(
    client: httpx.Client, engine: Engine, default_model: dict[str, Any]
) -> None:
    response = client.post(PREDICT, json={"model_id": default_model["id"], "texts": ["hello"]})
    prediction_id = response.json()["predictions"][0]["prediction_id"]
    row = logged(engine, [prediction_id])[prediction_id]
    assert (row.segment, row.reference) == ("default", default_model["id"])


def test_a_prediction_asked_not_to_be_logged_is_not(
    client: httpx.Client, engine: Engine, default_model: dict[str, Any]
) -> None:
    """`log: false` answers as usual, with no id, and writes no row; a logged prediction
    sent after it is written (the log keeps order), so the first had its chance."""
    body = {"model_id": default_model["id"], "texts": ["hello"], "segment": "unlogged line"}
    quiet = client.post(PREDICT, json={**body, "log": False})
    assert quiet.status_code == 200, quiet.text
    assert quiet.json()["predictions"][0]["prediction_id"] is None
    loud = client.post(PREDICT, json=body).json()["predictions"][0]
    logged(engine, [loud["prediction_id"]])
    with engine.connect() as conn:
        rows = conn.execute(select(PredictionRow).where(PredictionRow.segment == "unlogged line"))
        assert [row.id for row in rows] == [loud["prediction_id"]]


@pytest.mark.parametrize("segment", ["", "a/b", "line\nbreak", "x" * 101, "<script>", 7])
def test_a_segment_is_checked_like_a_name(
    client: httpx.Client, default_model: dict[str, Any], segment: object
) -> None:
    body = {"model_id": default_model["id"], "texts": ["hello"], "segment": segment}
    assert_problem(client.post(PREDICT, json=body), 422)


def test_metrics_count_predictions_by_model_and_segment(
    client: httpx.Client, default_model: dict[str, Any]
) -> None:
    def counted() -> float:
        for line in client.get("/metrics").text.splitlines():
            if line.startswith("textclf_predictions_total{") and (
                f'model_id="{default_model["id"]}"' in line and 'segment="metrics line"' in line
            ):
                return float(line.rsplit(" ", 1)[1])
        return 0.0

    before = counted()
    body = {"model_id": default_model["id"], "texts": ["a", "b", "c"], "segment": "metrics line"}
    assert client.post(PREDICT, json=body).status_code == 200
    assert counted() == before + 3


def _predict_csv(client: httpx.Client, ref: str, content: bytes, **fields: str) -> httpx.Response:
    return client.post(
        PREDICT_CSV,
        data={"model_id": ref, **fields},
        files={"file": ("in.csv", content, "text/csv")},
    )


def test_predict_csv_logs_each_row_with_its_segment(
    client: httpx.Client, engine: Engine, default_model: dict[str, Any]
) -> None:
    content = (
        b"id,comment_text,line\n"
        b'1,"you are an idiot",retail\n'
        b'2,"thanks, a civil text",\n'
        b"3,,retail\n"
        b'4,"another civil text",corporate\n'
    )
    response = _predict_csv(client, default_model["id"], content, segment_column="line")
    assert response.status_code == 200, response.text
    rows = list(csv.DictReader(io.StringIO(response.text)))
    ids = [r["Prediction id"] for r in rows]
    assert ids[2] == ""  # an empty text: not predicted, not logged
    logged_ids = [ids[0], ids[1], ids[3]]
    found = logged(engine, logged_ids)
    assert [found[i].segment for i in logged_ids] == ["retail", "default", "corporate"]
    assert [found[i].text for i in logged_ids] == [
        "you are an idiot",
        "thanks, a civil text",
        "another civil text",
    ]
    for row, i in zip((rows[0], rows[1], rows[3]), logged_ids, strict=True):
        assert found[i].label == row["Result"]
        assert found[i].model_id == default_model["id"]
        assert found[i].reference == default_model["id"]


def test_predict_csv_checks_its_segment_column(
    client: httpx.Client, default_model: dict[str, Any]
) -> None:
    content = b"comment_text,line\nhello,retail\nworld,bad/segment\n"
    assert_problem(
        _predict_csv(client, default_model["id"], content, segment_column="line"),
        422,
        "row 2",
        "bad/segment",
    )
    assert_problem(
        _predict_csv(client, default_model["id"], content, segment_column="nope"),
        422,
        "no column 'nope'",
    )
