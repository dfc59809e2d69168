"""Hard examples follow a binary model's threshold, on a real server (SQLite and
PostgreSQL): two versions of one name with the same bundle, the first without a threshold
(as a model from before revision 0006), the second with 0.2 on its positive class (set
with PUT /thresholds). Logged predictions are each moved by their own version's threshold
and a scored dataset by the model's: the texts nearest 0.2 on the logit scale rank
hardest, the version without one ranks as before, and the answers keep the real
probabilities and confidence."""

import csv
import io
import math
import random
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from sqlalchemy import Engine, update

from app.registry.prediction_log import SqlPredictionLog
from app.registry.tables import ModelRow
from testkit.api import upload_csv, wait_task
from testkit.samples import NEGATIVE, POSITIVE
from testkit.versions import trained_versions, unique_name

API = "/api/v1"
NOW = datetime.now(UTC).replace(microsecond=0)
CUT = 0.2
STRATEGIES = ["least_confidence", "margin", "entropy"]

# text -> (positive probability, version); "even odds" is hardest at 0.5, not at 0.2
LOGGED = {
    "near the cut": (0.22, "cut"),
    "even odds": (0.5, "cut"),
    "clearly negative": (0.02, "cut"),
    "clearly positive": (0.95, "cut"),
    "unthresholded close": (0.45, "plain"),
    "unthresholded sure": (0.97, "plain"),
}
# only the version without a threshold: ranked by the distance to 0.5, as before
PLAIN_ONLY = {"plain a": 0.22, "plain b": 0.5, "plain c": 0.45, "plain d": 0.05}


def logit(p: float) -> float:
    p = min(max(p, 1e-12), 1 - 1e-12)
    return math.log(p / (1 - p))


def moved(p: float, cut: float | None) -> float:
    """p with `cut` at 0.5 on the logit scale (formula independent of the service's)."""
    if cut is None:
        return p
    return 1 / (1 + math.exp(-(logit(p) - logit(cut))))


def score(p: float, strategy: str) -> float:
    values = sorted([p, 1 - p], reverse=True)
    if strategy == "least_confidence":
        return 1 - values[0]
    if strategy == "margin":
        return values[0] - values[1]
    return -sum(v * math.log(v) for v in values if v > 0)


def log_row(model_id: str, segment: str, text: str, positive: float, ago: int) -> tuple[Any, ...]:
    p = {"0": round(1 - positive, 6), "1": positive}
    label = "1" if positive >= 0.5 else "0"
    at = NOW - timedelta(minutes=ago)
    pid = uuid.uuid4().hex
    return (pid, model_id, None, model_id, segment, at, label, p[label], p, 1.0, text, None)


def unlabelled_csv(rows: int) -> bytes:
    rng = random.Random(11)
    words = [w for text in POSITIVE + NEGATIVE for w in text.split()]
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["message"])
    writer.writerows([" ".join(rng.choices(words, k=rng.randint(2, 8)))] for _ in range(rows))
    return out.getvalue().encode()


@pytest.fixture(scope="module")
def versions(client: httpx.Client, engine: Engine) -> dict[str, Any]:
    name = unique_name("hard-cut")
    (plain,) = trained_versions(client, name, 1)
    put = client.put(f"{API}/models/{plain}/thresholds", json={"thresholds": {"1": CUT}})
    assert put.status_code == 200, put.text
    with engine.begin() as conn:  # no threshold, as a model from before revision 0006
        conn.execute(update(ModelRow).where(ModelRow.id == plain).values(thresholds=None))
    assert client.get(f"{API}/models/{plain}").json()["thresholds"] is None
    ids = {"plain": plain, "cut": put.json()["model_id"]}
    segment, plain_segment = f"cut-{uuid.uuid4().hex[:8]}", f"plain-{uuid.uuid4().hex[:8]}"
    SqlPredictionLog(engine).insert(
        [log_row(ids[v], segment, t, p, i) for i, (t, (p, v)) in enumerate(LOGGED.items())]
        + [log_row(plain, plain_segment, t, p, i) for i, (t, p) in enumerate(PLAIN_ONLY.items())]
    )
    return {"name": name, "ids": ids, "segment": segment, "plain_segment": plain_segment}


def hard_examples(client: httpx.Client, ref: str, **params: Any) -> list[dict[str, Any]]:
    response = client.get(f"{API}/models/{quote(ref)}/hard_examples", params=params)
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_each_logged_prediction_is_ranked_at_its_versions_threshold(
    client: httpx.Client, versions: dict[str, Any], strategy: str
) -> None:
    answer = hard_examples(
        client, versions["name"] + ":2", strategy=strategy, segment=versions["segment"]
    )
    cuts = {"cut": CUT, "plain": None}
    expected = {text: score(moved(p, cuts[v]), strategy) for text, (p, v) in LOGGED.items()}
    order = sorted(expected, key=lambda t: expected[t], reverse=strategy != "margin")
    assert [e["text"] for e in answer] == order
    assert order[:3] == ["near the cut", "unthresholded close", "even odds"]
    for example in answer:
        p, version = LOGGED[example["text"]]
        assert example["model_id"] == versions["ids"][version]
        assert example["score"] == pytest.approx(expected[example["text"]])
        # the model's real probabilities and confidence, as logged
        assert example["probabilities"] == pytest.approx({"0": 1 - p, "1": p})
        assert example["confidence"] == pytest.approx(max(p, 1 - p))


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_a_version_without_a_threshold_ranks_as_before(
    client: httpx.Client, versions: dict[str, Any], strategy: str
) -> None:
    answer = hard_examples(
        client, versions["ids"]["cut"], strategy=strategy, segment=versions["plain_segment"]
    )
    assert [e["text"] for e in answer] == ["plain b", "plain c", "plain a", "plain d"]
    for example in answer:
        assert example["score"] == pytest.approx(score(PLAIN_ONLY[example["text"]], strategy))


@pytest.fixture(scope="module")
def scored(client: httpx.Client, versions: dict[str, Any]) -> dict[str, Any]:
    dataset = upload_csv(client, unlabelled_csv(300), "unlabelled.csv")
    assert dataset.is_success, dataset.text
    paths = {}
    for version, model_id in versions["ids"].items():
        path = f"{API}/models/{model_id}/hard_examples/datasets/{dataset.json()['id']}"
        accepted = client.post(path, json={"text_column": "message"})
        assert accepted.status_code == 202, accepted.text
        assert wait_task(client, accepted.json()["task_id"])["status"] == "succeeded"
        paths[version] = path
    return paths


def ranked(client: httpx.Client, path: str, strategy: str) -> list[dict[str, Any]]:
    params = {"text_column": "message", "strategy": strategy, "limit": 1000}
    response = client.get(path, params=params)
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_a_scored_dataset_is_ranked_at_the_models_threshold(
    client: httpx.Client, scored: dict[str, str], strategy: str
) -> None:
    with_cut = ranked(client, scored["cut"], strategy)
    plain = ranked(client, scored["plain"], strategy)
    # the same bundle: the same probabilities, row by row
    by_row = {e["row"]: e["probabilities"] for e in plain}
    assert {e["row"]: e["probabilities"] for e in with_cut} == by_row
    for answer, cut in ((with_cut, CUT), (plain, None)):
        for example in answer:
            p = example["probabilities"]["1"]
            assert example["score"] == pytest.approx(score(moved(p, cut), strategy), abs=1e-4)
            assert example["confidence"] == example["probabilities"][example["label"]]
        scores = [e["score"] for e in answer]
        assert scores == sorted(scores, reverse=strategy != "margin")
    # hardest: the row nearest the threshold on the logit scale; without one, nearest 0.5
    positive = [p["1"] for p in by_row.values()]
    assert with_cut[0]["probabilities"]["1"] == pytest.approx(
        min(positive, key=lambda p: abs(logit(p) - logit(CUT))), abs=1e-6
    )
    assert plain[0]["probabilities"]["1"] == pytest.approx(
        min(positive, key=lambda p: abs(p - 0.5)), abs=1e-6
    )
    assert abs(with_cut[0]["probabilities"]["1"] - plain[0]["probabilities"]["1"]) > 0.05, (
        "the rows nearest 0.2 and 0.5 are one: the check above is idle"
    )
