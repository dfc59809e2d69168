"""Hard examples of an uploaded unlabelled dataset on a real server (SQLite and
PostgreSQL): 409 before it is scored, the scoring task end to end (202, progress, the
Tasks list), every non-empty row ranked by each strategy at the model's threshold, with
the probabilities /predict gives the same texts, texts with feedback under the name left out, typed
errors."""

import csv
import io
import math
import random
import uuid
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine

from app.registry.feedback import FeedbackEntry, SqlFeedback
from testkit.api import assert_problem, upload_csv, wait_task
from testkit.samples import NEGATIVE, POSITIVE
from testkit.servers import BackendServer
from testkit.versions import trained_versions, unique_name

API = "/api/v1"
ROWS = 4_500  # more than one chunk of the scoring task (2,000 rows)
EMPTY_ROWS = (3, 4_000)


def unlabelled_csv(seed: int) -> tuple[bytes, list[str]]:
    rng = random.Random(seed)
    words = [w for text in POSITIVE + NEGATIVE for w in text.split()]
    texts = [" ".join(rng.choices(words, k=rng.randint(2, 8))) for _ in range(ROWS)]
    for row in EMPTY_ROWS:
        texts[row] = "  "
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["id", "message"])
    writer.writerows(enumerate(texts))
    return out.getvalue().encode(), texts


def score(p: dict[str, float], strategy: str) -> float:
    values = sorted(p.values(), reverse=True)
    if strategy == "least_confidence":
        return 1 - values[0]
    if strategy == "margin":
        return values[0] - values[1]
    return -sum(v * math.log(v) for v in values if v > 0)


def at_threshold(p: dict[str, float], positive: str, cut: float) -> dict[str, float]:
    """`p` moved so that `cut` on the positive class is at 0.5 (logit(q) = logit(p) -
    logit(cut)): what the ranking scores; the answer keeps `p`."""
    above = p[positive] * (1 - cut)
    q = above / (above + (1 - p[positive]) * cut)
    return {positive: q, "other": 1 - q}


@pytest.fixture(scope="module")
def scored(client: httpx.Client) -> dict[str, Any]:
    name = unique_name("hard-data")
    (model_id,) = trained_versions(client, name, 1, seed=7)
    loaded = client.post(f"{API}/models/load", json={"model_id": model_id})
    assert loaded.status_code == 200, loaded.text
    content, texts = unlabelled_csv(uuid.uuid4().int % 1000)
    dataset = upload_csv(client, content, "unlabelled.csv").json()
    path = f"{API}/models/{model_id}/hard_examples/datasets/{dataset['id']}"
    before = client.get(path, params={"text_column": "message"})
    accepted = client.post(path, json={"text_column": "message"})
    return {
        "name": name,
        "model_id": model_id,
        "dataset": dataset,
        "texts": texts,
        "path": path,
        "before": before,
        "accepted": accepted,
        "task": wait_task(client, accepted.json()["task_id"]) if accepted.is_success else None,
    }


def test_before_scoring_the_ranking_is_409(scored: dict[str, Any]) -> None:
    assert_problem(scored["before"], 409, "has not scored", "POST")


def test_scoring_runs_as_a_task(client: httpx.Client, scored: dict[str, Any]) -> None:
    accepted = scored["accepted"]
    assert accepted.status_code == 202, accepted.text
    body = accepted.json()
    assert body["model_id"] == scored["model_id"] and body["text_column"] == "message"
    assert accepted.headers["Location"] == f"/api/v1/tasks/{body['task_id']}"
    task = scored["task"]
    assert task["status"] == "succeeded", task
    assert task["kind"] == "hard_examples_scoring" and task["progress"] == 1.0
    assert task["message"] == f"{ROWS - len(EMPTY_ROWS):,} rows scored"
    assert task["dataset_id"] == scored["dataset"]["id"] and task["model_version"] == 1
    listed = client.get(f"{API}/tasks/", params={"limit": 1000}).json()
    assert task["id"] in {t["id"] for t in listed}


@pytest.mark.parametrize("strategy", ["least_confidence", "margin", "entropy"])
def test_every_row_is_ranked_with_the_models_probabilities(
    client: httpx.Client, scored: dict[str, Any], strategy: str
) -> None:
    response = client.get(
        scored["path"], params={"text_column": "message", "strategy": strategy, "limit": 1000}
    )
    assert response.status_code == 200, response.text
    assert response.headers["X-Total-Count"] == str(ROWS - len(EMPTY_ROWS))
    answer = response.json()
    assert len(answer) == 1000
    texts = scored["texts"]
    # each row's label is decided as its prediction is: at the model's threshold
    model = client.get(f"{API}/models/{scored['model_id']}").json()
    (cut,) = model["thresholds"]["thresholds"]
    positive, negative = (
        str(cut["label"]),
        next(c for c in map(str, model["classes"]) if c != str(cut["label"])),
    )
    for example in answer:
        assert example["text"] == texts[example["row"]]
        assert example["row"] not in EMPTY_ROWS
        assert example["score"] == pytest.approx(
            score(at_threshold(example["probabilities"], positive, cut["threshold"]), strategy),
            abs=1e-5,
        )
        p = example["probabilities"]
        # the probabilities are rounded to 6 places: one within that of the threshold (a
        # threshold is a held-out text's own probability, and a row may repeat that text)
        # may fall on either side of it
        if abs(p[positive] - cut["threshold"]) > 1e-6:
            assert example["label"] == (positive if p[positive] >= cut["threshold"] else negative)
        assert example["confidence"] == p[example["label"]]
    scores = [e["score"] for e in answer]
    assert scores == sorted(scores, reverse=strategy != "margin")
    # the same probabilities as /predict gives for those texts
    first = answer[:20]
    predicted = client.post(
        f"{API}/models/predict",
        json={"model_id": scored["model_id"], "texts": [e["text"] for e in first]},
    ).json()["predictions"]
    for example, prediction in zip(first, predicted, strict=True):
        expected = {str(p["label"]): p["probability"] for p in prediction["probabilities"]}
        assert example["probabilities"] == pytest.approx(expected, abs=1e-5)
        assert example["label"] == str(prediction["label"])
    between = [
        e
        for e in answer
        if min(cut["threshold"], 0.5) <= e["probabilities"][positive] < max(cut["threshold"], 0.5)
    ]
    assert between, "no ranked row lies between the threshold and 0.5: the check above is idle"


def test_texts_with_feedback_are_left_out(
    client: httpx.Client, engine: Engine, scored: dict[str, Any]
) -> None:
    params = {"text_column": "message", "limit": 5}
    hardest = client.get(scored["path"], params=params).json()[0]
    SqlFeedback(engine).insert(
        [
            FeedbackEntry(
                id=uuid.uuid4().hex,
                model_name=scored["name"],
                model_id=scored["model_id"],
                prediction_id=None,
                text=hardest["text"],
                label="1",
                segment="default",
                source="csv",
                created_at=datetime.now(UTC),
            )
        ]
    )
    after = client.get(scored["path"], params=params)
    same_text = [i for i, t in enumerate(scored["texts"]) if t == hardest["text"]]
    assert int(after.headers["X-Total-Count"]) == ROWS - len(EMPTY_ROWS) - len(same_text)
    assert hardest["text"] not in {e["text"] for e in after.json()}


def test_typed_errors(client: httpx.Client, scored: dict[str, Any]) -> None:
    path = scored["path"]
    assert_problem(client.post(path, json={"text_column": "nope"}), 422, "nope")
    assert_problem(client.post(path, json={}), 422)
    assert_problem(client.get(path, params={"text_column": "id"}), 409, "has not scored")
    assert_problem(client.get(path, params={"text_column": "message", "strategy": "x"}), 422)
    unknown = f"{API}/models/{scored['model_id']}/hard_examples/datasets/{'0' * 32}"
    assert_problem(client.post(unknown, json={"text_column": "message"}), 404)
    assert_problem(client.get(unknown, params={"text_column": "message"}), 404)


def test_a_dataset_whose_file_is_gone_is_404_at_submit(
    client: httpx.Client, server: BackendServer, scored: dict[str, Any]
) -> None:
    content, _ = unlabelled_csv(uuid.uuid4().int % 100_000 + 1000)
    dataset = upload_csv(client, content, "gone.csv").json()
    (server.datasets_dir / f"{dataset['id']}.csv").unlink()
    path = f"{API}/models/{scored['model_id']}/hard_examples/datasets/{dataset['id']}"
    response = client.post(path, json={"text_column": "message"})
    assert_problem(response, 404, "missing on disk")  # not a 202 and a task that fails
