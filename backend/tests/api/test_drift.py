"""GET /api/v1/models/{ref}/drift on a real server (SQLite and PostgreSQL): a model
trained through the API predicts texts like its data in one segment and, in another,
texts of one class's words among many unknown ones; the answer's PSIs against its held-out
predictions match a computation over the logged rows here, the unknown-word segment is
flagged, thresholds given as parameters override the settings, and a model whose dataset
is gone says it has no reference instead of failing."""

import time
import uuid
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from sqlalchemy import Engine, select

from app.ml.drift import as_bins, confidence_histogram, psi, shares
from app.registry.tables import PredictionRow
from testkit.api import assert_problem
from testkit.samples import NEGATIVE, POSITIVE
from testkit.versions import trained_versions, unique_name

API = "/api/v1"
UNKNOWN = ["zzqx blorf", "qwv plink", "fnord zazz", "glorp vrmm"]


def predict(client: httpx.Client, model_id: str, texts: list[str], segment: str) -> list[str]:
    body = {"model_id": model_id, "texts": texts, "segment": segment}
    response = client.post(f"{API}/models/predict", json=body)
    assert response.status_code == 200, response.text
    return [p["prediction_id"] for p in response.json()["predictions"]]


@pytest.fixture(scope="module")
def logged(client: httpx.Client, engine: Engine) -> dict[str, Any]:
    name = unique_name("drift")
    (model_id,) = trained_versions(client, name, 1, seed=41)
    loaded = client.post(f"{API}/models/load", json={"model_id": model_id})
    assert loaded.status_code == 200, loaded.text
    usual, odd = f"usual {uuid.uuid4().hex[:6]}", f"odd {uuid.uuid4().hex[:6]}"
    ids = predict(client, model_id, [f"{a} {b}" for a in POSITIVE for b in NEGATIVE], usual)
    # one class's words, drowned in words the model never saw
    # (36 of them: a bucket of fewer than DRIFT_MIN_PREDICTIONS, 30, raises no flag)
    ids += predict(client, model_id, [f"{p} {' '.join(UNKNOWN)}" for p in POSITIVE] * 6, odd)
    deadline = time.monotonic() + 20
    while True:
        with engine.connect() as conn:
            rows = conn.execute(select(PredictionRow).where(PredictionRow.id.in_(ids))).all()
        if len(rows) == len(ids) or time.monotonic() > deadline:
            assert len(rows) == len(ids)
            break
        time.sleep(0.1)
    return {"name": name, "id": model_id, "usual": usual, "odd": odd, "rows": rows}


def drift(client: httpx.Client, ref: str, **params: Any) -> dict[str, Any]:
    response = client.get(f"{API}/models/{quote(ref)}/drift", params=params)
    assert response.status_code == 200, response.text
    return response.json()


def test_psi_and_unknown_tokens_per_segment(client: httpx.Client, logged: dict[str, Any]) -> None:
    answer = drift(client, logged["name"], period="week")
    assert answer["model_id"] == logged["id"]
    assert answer["psi_threshold"] == 0.2 and answer["unknown_token_threshold"] == 0.1
    assert answer["min_predictions"] == 30
    reference = answer["reference"]
    assert reference["available"] and reference["count"] > 0
    assert sum(reference["class_mix"].values()) == pytest.approx(1.0)
    by_segment = {b["segment"]: b for b in answer["buckets"] if b["segment"] in logged.values()}
    assert set(by_segment) == {logged["usual"], logged["odd"]}
    for segment, bucket in by_segment.items():
        rows = [r for r in logged["rows"] if r.segment == segment]
        assert bucket["count"] == len(rows)
        mix: dict[str, int] = {}
        for r in rows:
            mix[r.label] = mix.get(r.label, 0) + 1
        assert bucket["class_mix_psi"] == pytest.approx(psi(reference["class_mix"], shares(mix)))
        got = confidence_histogram([r.confidence for r in rows])
        assert bucket["confidence_psi"] == pytest.approx(
            psi(as_bins(reference["confidence_histogram"]), as_bins(got))
        )
        known = [r.known_token_share for r in rows]
        assert bucket["unknown_token_share"] == pytest.approx(1 - sum(known) / len(known))
    odd = by_segment[logged["odd"]]
    assert odd["unknown_token_share"] > 0.5 + reference["unknown_token_share"]
    assert odd["unknown_token_drift"] and answer["flagged"]
    # (nearly) one label for every text of the odd segment: far from the reference's mix
    assert odd["class_mix_psi"] > 0.2 and odd["class_mix_drift"], (reference, odd)
    assert not by_segment[logged["usual"]]["unknown_token_drift"]


def test_thresholds_as_parameters_and_a_segment(
    client: httpx.Client, logged: dict[str, Any]
) -> None:
    lenient = drift(
        client,
        logged["id"],
        segment=logged["odd"],
        psi_threshold=1000,
        unknown_token_threshold=1,
    )
    assert [b["segment"] for b in lenient["buckets"]] == [logged["odd"]]
    bucket = lenient["buckets"][0]
    assert not (
        bucket["class_mix_drift"] or bucket["confidence_drift"] or bucket["unknown_token_drift"]
    )
    assert not lenient["flagged"]
    # too few predictions for the flags to mean anything: the figures, no flag
    few = drift(client, logged["id"], segment=logged["odd"], min_predictions=37)
    bucket = few["buckets"][0]
    assert few["min_predictions"] == 37 and bucket["count"] == 36
    assert bucket["class_mix_psi"] > 0.2 and bucket["unknown_token_share"] > 0.5
    assert not (
        bucket["class_mix_drift"] or bucket["confidence_drift"] or bucket["unknown_token_drift"]
    )
    assert not few["flagged"]
    strict = drift(client, logged["id"], segment=logged["usual"], psi_threshold=1e-9)
    bucket = strict["buckets"][0]
    assert bucket["confidence_drift"] == (bucket["confidence_psi"] > 1e-9)
    assert strict["flagged"] == (bucket["class_mix_drift"] or bucket["confidence_drift"])
    # the same figures the second time: from the reference kept beside the model
    again = drift(client, logged["id"], segment=logged["usual"], psi_threshold=1e-9)
    assert again["reference"] == strict["reference"]


def test_a_model_without_its_dataset_has_no_reference(client: httpx.Client) -> None:
    name = unique_name("drift-gone")
    (model_id,) = trained_versions(client, name, 1, seed=43)
    dataset_id = client.get(f"{API}/models/{model_id}").json()["dataset_id"]
    deleted = client.delete(f"{API}/datasets/{dataset_id}", params={"force": "true"})
    assert deleted.status_code == 204, deleted.text
    loaded = client.post(f"{API}/models/load", json={"model_id": model_id})
    assert loaded.status_code == 200, loaded.text
    segment = f"gone {uuid.uuid4().hex[:6]}"
    predict(client, model_id, UNKNOWN, segment)
    deadline = time.monotonic() + 20
    while True:
        answer = drift(client, name, segment=segment)
        if answer["buckets"] or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert answer["reference"]["available"] is False
    assert "held-out" in answer["reference"]["reason"]
    (bucket,) = answer["buckets"]
    assert bucket["class_mix_psi"] is None and bucket["confidence_psi"] is None
    assert bucket["unknown_token_share"] == pytest.approx(1.0)
    assert not bucket["unknown_token_drift"]  # nothing to compare it with


def test_errors(client: httpx.Client, logged: dict[str, Any]) -> None:
    url = f"{API}/models/{quote(logged['name'])}/drift"
    assert_problem(client.get(f"{API}/models/no-such-model/drift"), 404)
    assert_problem(client.get(url, params={"psi_threshold": 0}), 422)
    assert_problem(client.get(url, params={"period": "month"}), 422)
    start = "2026-11-02T00:00:00Z"
    assert_problem(client.get(url, params={"start": start, "end": start}), 422, "before end")
