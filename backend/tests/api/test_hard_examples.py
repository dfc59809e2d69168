"""GET /api/v1/models/{ref}/hard_examples on a real server (SQLite and PostgreSQL): log rows
with known probabilities written with the log's own store under two versions of a name,
feedback written with the feedback store; each strategy's order and scores against
formulas worked out here, one row per text (the newest), feedback by prediction and by
text left out, the segment and time filters, paging and typed errors."""

import math
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from sqlalchemy import Engine

from app.registry.feedback import FeedbackEntry, SqlFeedback
from app.registry.prediction_log import SqlPredictionLog
from testkit.api import assert_problem, fit, upload_csv, wait_task
from testkit.multilabel_samples import MULTILABEL_COLUMNS, multilabel_csv
from testkit.versions import trained_versions, unique_name

API = "/api/v1"
NOW = datetime.now(UTC).replace(microsecond=0)

# text -> (probabilities, minutes ago, version); three classes so the strategies disagree
ROWS: dict[str, tuple[dict[str, float], int, str]] = {
    "close call": ({"a": 0.50, "b": 0.49, "c": 0.01}, 5, "v1"),
    "spread out": ({"a": 0.40, "b": 0.30, "c": 0.30}, 6, "v2"),
    "sure of it": ({"a": 0.90, "b": 0.05, "c": 0.05}, 7, "v2"),
    "leaning a": ({"a": 0.56, "b": 0.44, "c": 0.0}, 8, "v1"),
}


def least_confidence(p: dict[str, float]) -> float:
    return 1 - max(p.values())


def margin(p: dict[str, float]) -> float:
    top = sorted(p.values(), reverse=True)
    return top[0] - top[1]


def entropy(p: dict[str, float]) -> float:
    return -sum(v * math.log(v) for v in p.values() if v > 0)


STRATEGIES = {
    "least_confidence": (least_confidence, True),
    "margin": (margin, False),
    "entropy": (entropy, True),
}


def row(
    model_id: str, segment: str, text: str | None, p: dict[str, float], at: datetime
) -> tuple[Any, ...]:
    label = max(p, key=lambda k: p[k])
    pid = uuid.uuid4().hex
    return (pid, model_id, None, model_id, segment, at, label, p[label], p, 1.0, text, None)


@pytest.fixture(scope="module")
def logged(client: httpx.Client, engine: Engine) -> dict[str, Any]:
    name = unique_name("hard")
    v1, v2 = trained_versions(client, name, 2)
    versions = {"v1": v1, "v2": v2}
    segment = f"hard-{uuid.uuid4().hex[:8]}"
    rows = {
        text: row(versions[v], segment, text, p, NOW - timedelta(minutes=ago))
        for text, (p, ago, v) in ROWS.items()
    }
    hard = {"a": 0.34, "b": 0.33, "c": 0.33}
    extra = {
        # an older prediction of "close call", harder than the newest: the newest counts
        "older close call": row(v1, segment, "close call", hard, NOW - timedelta(hours=1)),
        # no text kept: never an example
        "no text": row(v1, segment, None, hard, NOW - timedelta(minutes=1)),
        # feedback given for the prediction, and for its text under the name
        "corrected": row(v2, segment, "corrected", hard, NOW - timedelta(minutes=2)),
        "labelled text": row(v2, segment, "labelled text", hard, NOW - timedelta(minutes=3)),
        # feedback for the same text, but under another name: still an example
        "other name's": row(v2, segment, "other name's", {"a": 0.7, "b": 0.2, "c": 0.1}, NOW),
        # another segment, and two days ago: out of the filters below
        "elsewhere": row(v1, f"{segment}-b", "elsewhere", hard, NOW - timedelta(minutes=4)),
        "long ago": row(v1, segment, "long ago", hard, NOW - timedelta(days=2)),
    }
    SqlPredictionLog(engine).insert([*rows.values(), *extra.values()])

    def feedback(prediction: str | None, text: str, model_name: str) -> FeedbackEntry:
        return FeedbackEntry(
            id=uuid.uuid4().hex,
            model_name=model_name,
            model_id=v2,
            prediction_id=prediction,
            text=text,
            label="a",
            segment=segment,
            source="prediction" if prediction else "csv",
            created_at=NOW,
        )

    SqlFeedback(engine).insert(
        [
            feedback(extra["corrected"][0], "corrected", name),
            feedback(None, "labelled text", name),
            feedback(None, "other name's", f"{name}-other"),
        ]
    )
    put = client.put(f"{API}/aliases/{quote(name)}/production", json={"version": 2})
    assert put.status_code == 200, put.text
    return {"name": name, "v1": v1, "v2": v2, "segment": segment, "rows": rows, "extra": extra}


def hard_examples(client: httpx.Client, ref: str, **params: Any) -> httpx.Response:
    return client.get(f"{API}/models/{quote(ref)}/hard_examples", params=params)


def in_last_day(logged: dict[str, Any]) -> dict[str, Any]:
    return {"segment": logged["segment"], "start": (NOW - timedelta(days=1)).isoformat()}


@pytest.mark.parametrize("strategy", list(STRATEGIES))
def test_each_strategy_ranks_the_known_probabilities(
    client: httpx.Client, logged: dict[str, Any], strategy: str
) -> None:
    response = hard_examples(client, logged["v1"], strategy=strategy, **in_last_day(logged))
    assert response.status_code == 200, response.text
    formula, higher_is_harder = STRATEGIES[strategy]
    probabilities = {text: p for text, (p, _, _) in ROWS.items()}
    probabilities["other name's"] = {"a": 0.7, "b": 0.2, "c": 0.1}
    expected = sorted(
        probabilities, key=lambda t: formula(probabilities[t]), reverse=higher_is_harder
    )
    answer = response.json()
    assert [e["text"] for e in answer] == expected
    assert response.headers["X-Total-Count"] == str(len(expected))
    for example in answer:
        assert example["score"] == pytest.approx(formula(probabilities[example["text"]]))
        assert example["probabilities"] == pytest.approx(probabilities[example["text"]])
        assert example["segment"] == logged["segment"]
    # the strategies disagree on these rows, so each order is its own
    assert expected[0] == ("close call" if strategy == "margin" else "spread out")


def test_a_text_counts_once_with_its_newest_prediction(
    client: httpx.Client, logged: dict[str, Any]
) -> None:
    answer = hard_examples(client, logged["name"] + ":1", **in_last_day(logged)).json()
    close = [e for e in answer if e["text"] == "close call"]
    assert len(close) == 1
    newest = logged["rows"]["close call"]
    assert close[0]["prediction_id"] == newest[0]
    assert close[0]["model_id"] == logged["v1"] and close[0]["label"] == "a"
    assert close[0]["confidence"] == pytest.approx(0.5)


def test_texts_with_feedback_or_no_text_are_left_out(
    client: httpx.Client, logged: dict[str, Any]
) -> None:
    texts = {e["text"] for e in hard_examples(client, logged["v2"], **in_last_day(logged)).json()}
    assert "corrected" not in texts and "labelled text" not in texts
    assert "other name's" in texts  # feedback under another name does not count
    assert None not in texts


def test_every_version_of_the_name_and_every_reference(
    client: httpx.Client, logged: dict[str, Any]
) -> None:
    answers = [
        hard_examples(client, ref, limit=100, **in_last_day(logged)).json()
        for ref in (logged["v1"], logged["v2"], f"{logged['name']}@production")
    ]
    assert answers[0] == answers[1] == answers[2]
    assert {e["model_id"] for e in answers[0]} == {logged["v1"], logged["v2"]}


def test_segment_and_time_filters(client: httpx.Client, logged: dict[str, Any]) -> None:
    answer = hard_examples(client, logged["v1"], segment=logged["segment"]).json()
    whole = {e["text"] for e in answer}
    assert "long ago" in whole and "elsewhere" not in whole
    other = hard_examples(client, logged["v1"], segment=f"{logged['segment']}-b").json()
    assert [e["text"] for e in other] == ["elsewhere"]
    window = hard_examples(
        client,
        logged["v1"],
        segment=logged["segment"],
        start=(NOW - timedelta(minutes=7, seconds=30)).isoformat(),
        end=(NOW - timedelta(minutes=5, seconds=30)).isoformat(),
    ).json()
    assert sorted(e["text"] for e in window) == ["spread out", "sure of it"]


def test_paging(client: httpx.Client, logged: dict[str, Any]) -> None:
    params = {"strategy": "entropy", **in_last_day(logged)}
    whole = hard_examples(client, logged["v1"], **params).json()
    page = hard_examples(client, logged["v1"], limit=2, offset=1, **params)
    assert page.json() == whole[1:3]
    assert page.headers["X-Total-Count"] == str(len(whole))


def test_typed_errors(client: httpx.Client, logged: dict[str, Any]) -> None:
    assert_problem(hard_examples(client, "f" * 32), 404)
    assert_problem(hard_examples(client, f"{logged['name']}@nowhere"), 404, "nowhere")
    assert_problem(hard_examples(client, logged["v1"], strategy="random"), 422, "strategy")
    later, earlier = NOW.isoformat(), (NOW - timedelta(days=1)).isoformat()
    assert_problem(hard_examples(client, logged["v1"], start=later, end=earlier), 422, "before")
    assert_problem(hard_examples(client, logged["v1"], limit=0), 422)


def test_a_multilabel_model_is_refused(client: httpx.Client) -> None:
    dataset = upload_csv(client, multilabel_csv(200), "multi.csv").json()
    accepted = fit(
        client,
        dataset["id"],
        name=unique_name("hard-multi"),
        label_columns=MULTILABEL_COLUMNS,
        params={"min_df": 1},
    )
    assert wait_task(client, accepted["task_id"])["status"] == "succeeded"
    assert_problem(hard_examples(client, accepted["model_id"]), 422, "multi-label")
    scoring = client.post(
        f"{API}/models/{accepted['model_id']}/hard_examples/datasets/{dataset['id']}",
        json={"text_column": "comment_text"},
    )
    assert_problem(scoring, 422, "multi-label")
