"""GET /api/v1/models/{ref}/statistics on a real server (SQLite and PostgreSQL): real
predictions of two versions of one name, logged, then every figure of the answer against
the logged rows worked out here; a name covers both versions, an alias and an id one;
typed errors for an unknown model, a bad period and a start after the end."""

import time
import uuid
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from sqlalchemy import Engine, select

from app.registry.summary_bins import LATENCY_RELATIVE_ERROR
from app.registry.tables import PredictionRow
from testkit.api import assert_problem
from testkit.versions import trained_versions, unique_name

API = "/api/v1"


@pytest.fixture(scope="module")
def logged(client: httpx.Client, engine: Engine) -> dict[str, Any]:
    """Two versions of a new name, predictions of both in a new segment (v1 by id, v2 by
    its alias), and their rows once written."""
    name = unique_name("stats")
    v1, v2 = trained_versions(client, name, 2)
    put = client.put(f"{API}/aliases/{quote(name)}/production", json={"version": 2})
    assert put.status_code == 200, put.text
    for model_id in (v1, v2):
        loaded = client.post(f"{API}/models/load", json={"model_id": model_id})
        assert loaded.status_code == 200, loaded.text
    segment = f"stats {uuid.uuid4().hex[:8]}"
    ids = []
    for ref, texts in (
        (v1, ["nice photo", "you idiot", "thanks"]),
        (f"{name}@production", ["ok", "bad bad"]),
    ):
        for text in texts:  # one request each: each its own latency
            body = {"model_id": ref, "texts": [text], "segment": segment}
            response = client.post(f"{API}/models/predict", json=body)
            assert response.status_code == 200, response.text
            ids.append(response.json()["predictions"][0]["prediction_id"])
    deadline = time.monotonic() + 20
    while True:
        with engine.connect() as conn:
            rows = conn.execute(select(PredictionRow).where(PredictionRow.id.in_(ids))).all()
        if len(rows) == len(ids) or time.monotonic() > deadline:
            assert len(rows) == len(ids)
            break
        time.sleep(0.1)
    return {"name": name, "v1": v1, "v2": v2, "segment": segment, "rows": rows}


def percentile(values: list[float], p: float) -> float:
    """Linear interpolation between the closest ranks (PostgreSQL's percentile_cont)."""
    ordered = sorted(values)
    position = p * (len(ordered) - 1)
    below = int(position)
    above = min(below + 1, len(ordered) - 1)
    return ordered[below] + (ordered[above] - ordered[below]) * (position - below)


def expected(rows: list[Any], below: float) -> list[dict[str, Any]]:
    """The day buckets of these rows, worked out here."""
    days: dict[str, list[Any]] = defaultdict(list)
    for row in rows:
        at = row.created_at  # SQLite gives it without its zone: UTC
        days[(at.astimezone(UTC) if at.tzinfo else at).strftime("%Y-%m-%d")].append(row)
    return [
        {
            "start": f"{day}T00:00:00Z",
            "count": len(group),
            "class_mix": dict(Counter(r.label for r in group)),
            "mean_confidence": pytest.approx(sum(r.confidence for r in group) / len(group)),
            "low_confidence_share": pytest.approx(
                sum(r.confidence < below for r in group) / len(group)
            ),
            "low_confidence_exact": True,
            # from the latency histogram: within its bound
            "latency_p50_ms": pytest.approx(
                percentile([r.latency_ms for r in group], 0.5), rel=LATENCY_RELATIVE_ERROR
            ),
            "latency_p95_ms": pytest.approx(
                percentile([r.latency_ms for r in group], 0.95), rel=LATENCY_RELATIVE_ERROR
            ),
            "known_token_share": pytest.approx(
                sum(r.known_token_share for r in group) / len(group)
            ),
            "feedback_count": 0,
            "accuracy": None,
            "macro_f1": None,
        }
        for day, group in sorted(days.items())
    ]


def statistics(client: httpx.Client, ref: str, **params: Any) -> httpx.Response:
    return client.get(f"{API}/models/{quote(ref)}/statistics", params=params)


def test_a_name_covers_all_its_versions(client: httpx.Client, logged: dict[str, Any]) -> None:
    response = statistics(client, logged["name"], segment=logged["segment"], confidence_below=0.7)
    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["model_ids"] == [logged["v1"], logged["v2"]]
    assert answer["period"] == "day" and answer["confidence_below"] == 0.7
    assert sum(b["count"] for b in answer["buckets"]) == 5
    for bucket in answer["buckets"]:
        bucket["start"] = bucket["start"].replace("+00:00", "Z")
    assert answer["buckets"] == expected(logged["rows"], 0.7)


@pytest.mark.parametrize("version", ["v1", "v2"])
def test_an_id_or_an_alias_is_one_version(
    client: httpx.Client, logged: dict[str, Any], version: str
) -> None:
    refs = [logged[version]] + (
        [f"{logged['name']}@production", f"{logged['name']}:2"]
        if version == "v2"
        else [f"{logged['name']}:1"]
    )
    rows = [r for r in logged["rows"] if r.model_id == logged[version]]
    assert len(rows) == (3 if version == "v1" else 2)
    for ref in refs:
        response = statistics(client, ref, segment=logged["segment"])
        assert response.status_code == 200, response.text
        answer = response.json()
        assert answer["model_ids"] == [logged[version]]
        for bucket in answer["buckets"]:
            bucket["start"] = bucket["start"].replace("+00:00", "Z")
        assert answer["buckets"] == expected(rows, 0.6)


def test_another_segment_or_an_empty_range_has_no_buckets(
    client: httpx.Client, logged: dict[str, Any]
) -> None:
    answer = statistics(client, logged["name"], segment="nobody here").json()
    # the segments that have predictions are named, whatever segment was asked for
    assert answer["buckets"] == [] and answer["segments"] == [logged["segment"]]
    past = datetime.now(UTC) - timedelta(days=400)
    answer = statistics(
        client, logged["name"], start=past.isoformat(), end=(past + timedelta(days=1)).isoformat()
    ).json()
    assert answer["buckets"] == [] and answer["segments"] == []


def test_errors(client: httpx.Client, logged: dict[str, Any]) -> None:
    assert_problem(statistics(client, "no-such-model"), 404)
    assert_problem(statistics(client, f"{logged['name']}@staging"), 404, "no alias")
    assert_problem(statistics(client, logged["name"], period="month"), 422)
    now = datetime.now(UTC)
    later = {"start": now.isoformat(), "end": (now - timedelta(hours=1)).isoformat()}
    assert_problem(statistics(client, logged["name"], **later), 422, "before end")
    assert_problem(statistics(client, logged["name"], confidence_below=2), 422)
