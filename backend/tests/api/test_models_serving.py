import csv
import io
import threading
import time

import httpx
import pytest

from testkit.api import assert_problem, fit, upload_csv, wait_task
from testkit.samples import labelled_csv
from testkit.servers import BackendServer


@pytest.fixture(scope="module")
def trained(client: httpx.Client) -> dict:
    dataset = upload_csv(client, labelled_csv(300, seed=11), "serve.csv").json()
    accepted = fit(client, dataset["id"], name="serving", params={"min_df": 1})
    assert wait_task(client, accepted["task_id"])["status"] == "succeeded"
    return {"dataset": dataset, "model_id": accepted["model_id"]}


def test_predict_needs_load_then_answers(client: httpx.Client, trained: dict) -> None:
    model_id = trained["model_id"]
    body = {"model_id": model_id, "texts": ["you stupid idiot", "thanks for the source"]}
    assert_problem(client.post("/api/v1/models/predict", json=body), 409, "not loaded")
    loaded = client.post("/api/v1/models/load", json={"model_id": model_id})
    assert loaded.status_code == 200 and loaded.json()["loaded"] is True
    result = client.post("/api/v1/models/predict", json=body).json()
    assert result["model_id"] == model_id
    assert [p["label"] for p in result["predictions"]] == [1, 0]
    assert all(0.5 <= p["confidence"] <= 1 for p in result["predictions"])
    unloaded = client.post("/api/v1/models/unload", json={"model_id": model_id})
    assert unloaded.json()["loaded"] is False
    assert_problem(client.post("/api/v1/models/predict", json=body), 409)


def test_multiline_and_odd_texts(client: httpx.Client) -> None:
    models = client.get("/api/v1/models/", params={"limit": 1000}).json()
    default = next(m for m in models if m["is_default"] and m["kind"] == "logreg")
    texts = ["first line\nsecond line\r\nthird", "😀 émoji and עברית", "x" * 100_000, "?!"]
    response = client.post(
        "/api/v1/models/predict", json={"model_id": default["id"], "texts": texts}
    )
    assert response.status_code == 200, response.text
    predictions = response.json()["predictions"]
    assert len(predictions) == len(texts)
    assert predictions[3]["known_token_share"] is None and "no words" in predictions[3]["warning"]
    empty = {"model_id": default["id"], "texts": ["fine", "", "   "]}
    assert_problem(client.post("/api/v1/models/predict", json=empty), 422, "texts [1, 2]")


def test_predict_limits(client: httpx.Client) -> None:
    default = next(
        m for m in client.get("/api/v1/models/", params={"limit": 1000}).json() if m["is_default"]
    )
    assert_problem(
        client.post("/api/v1/models/predict", json={"model_id": default["id"], "texts": []}), 422
    )
    too_many = {"model_id": default["id"], "texts": ["a"] * 501}
    assert_problem(client.post("/api/v1/models/predict", json=too_many), 422, "limit is 500")
    assert_problem(
        client.post("/api/v1/models/predict", json={"model_id": "nosuchmodel", "texts": ["a"]}), 404
    )


def test_predict_csv_streams_results(client: httpx.Client) -> None:
    default = next(
        m for m in client.get("/api/v1/models/", params={"limit": 1000}).json() if m["is_default"]
    )
    content = b'id,comment_text\n1,"you are an idiot"\n2,"multi\nline, civil text"\n3,\n'
    response = client.post(
        "/api/v1/models/predict_csv",
        data={"model_id": default["id"]},
        files={"file": ("in.csv", content, "text/csv")},
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    assert "in_predictions.csv" in response.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert [r["id"] for r in rows] == ["1", "2", "3"]
    assert rows[1]["comment_text"] == "multi\nline, civil text"
    assert rows[0]["Result"] == "1" and 0 < float(rows[0]["Confidence"]) <= 1


def test_predict_csv_text_column_and_errors(client: httpx.Client) -> None:
    default = next(
        m for m in client.get("/api/v1/models/", params={"limit": 1000}).json() if m["is_default"]
    )
    content = b"body,other\nhello there,1\n"
    missing = client.post(
        "/api/v1/models/predict_csv",
        data={"model_id": default["id"]},
        files={"file": ("x.csv", content)},
    )
    assert_problem(missing, 422, "'comment_text'", "body", "other")
    ok = client.post(
        "/api/v1/models/predict_csv",
        data={"model_id": default["id"], "text_column": "body"},
        files={"file": ("x.csv", content)},
    )
    assert ok.status_code == 200 and "Result" in ok.text.splitlines()[0]
    assert_problem(
        client.post(
            "/api/v1/models/predict_csv",
            data={"model_id": default["id"]},
            files={"file": ("x.csv", b"\xff\xfe\x00")},
        ),
        422,
    )
    assert_problem(
        client.post("/api/v1/models/predict_csv", files={"file": ("x.csv", content)}),
        422,
        "model_id",
    )


def test_predict_scores_on_dataset_and_texts(client: httpx.Client, trained: dict) -> None:
    models = client.get("/api/v1/models/", params={"limit": 1000}).json()
    default = next(m for m in models if m["is_default"] and m["kind"] == "logreg")
    ids = [trained["model_id"], default["id"]]
    response = client.post(
        "/api/v1/models/predict_scores",
        json={"model_ids": ids, "dataset_id": trained["dataset"]["id"]},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert len(body["labels"]) == 300
    assert [r["model_id"] for r in body["results"]] == ids
    for result in body["results"]:
        assert len(result["scores"]) == 300 and result["fpr"][0] == 0 and result["tpr"][-1] == 1
    assert body["results"][0]["roc_auc"] > 0.95
    texts = client.post(
        "/api/v1/models/predict_scores",
        json={"model_ids": ids[:1], "texts": ["idiot moron", "thanks a lot"], "labels": [1, 0]},
    )
    assert texts.json()["results"][0]["roc_auc"] == 1.0
    # an empty text: nothing to score, as /predict says
    empty = {"model_ids": ids[:1], "texts": ["idiot", " ", "thanks"], "labels": [1, 0, 0]}
    assert_problem(client.post("/api/v1/models/predict_scores", json=empty), 422, "texts [1]")
    # a dataset's rows without a text are left out, as a fit leaves them out
    rows = "comment_text,toxic\nyou idiot,1\n,0\n  ,1\nthanks a lot,0\nstupid moron,1\n"
    gappy = upload_csv(client, rows.encode(), "gappy.csv").json()
    scored = client.post(
        "/api/v1/models/predict_scores", json={"model_ids": ids[:1], "dataset_id": gappy["id"]}
    ).json()
    assert scored["labels"] == [1, 0, 1] and len(scored["results"][0]["scores"]) == 3
    assert_problem(
        client.post(
            "/api/v1/models/predict_scores", json={"model_ids": ids, "texts": ["a"], "labels": []}
        ),
        422,
    )
    assert_problem(
        client.post(
            "/api/v1/models/predict_scores",
            json={"model_ids": ["nosuch"], "texts": ["a"], "labels": [1]},
        ),
        404,
    )


def test_unloading_during_predictions_never_changes_an_answer(
    client: httpx.Client, server: BackendServer, trained: dict
) -> None:
    """While the model is unloaded and loaded again and again, each answer is the model's
    own (its version, decided at its threshold) or a 409; never one without its version or
    decided without its threshold."""
    model_id = trained["model_id"]
    model = client.get(f"/api/v1/models/{model_id}").json()
    cut = model["thresholds"]["thresholds"][0]["threshold"]
    texts = ["you stupid idiot", "thanks for the source", "well, maybe", "ok then idiot"]
    body = {"model_id": model_id, "texts": texts}
    stop = threading.Event()
    answers: list[dict] = []
    other: list[str] = []

    def predict() -> None:
        with httpx.Client(base_url=server.base_url, timeout=30) as own:
            while not stop.is_set():
                response = own.post("/api/v1/models/predict", json=body)
                if response.status_code == 200:
                    answers.append(response.json())
                elif response.status_code != 409:
                    other.append(f"{response.status_code} {response.text[:200]}")

    threads = [threading.Thread(target=predict) for _ in range(4)]
    loaded = client.post("/api/v1/models/load", json={"model_id": model_id})
    assert loaded.status_code == 200, loaded.text
    for thread in threads:
        thread.start()
    try:
        for _ in range(20):
            client.post("/api/v1/models/unload", json={"model_id": model_id})
            time.sleep(0.03)
            client.post("/api/v1/models/load", json={"model_id": model_id})
            time.sleep(0.15)
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=60)
    assert other == [], other[:5]
    assert len(answers) > 20, len(answers)
    for answer in answers:
        assert answer["version"] == model["version"], answer
        for prediction in answer["predictions"]:
            p1 = next(c["probability"] for c in prediction["probabilities"] if c["label"] == 1)
            assert prediction["label"] == (1 if p1 >= cut else 0), (cut, prediction)
    client.post("/api/v1/models/unload", json={"model_id": model_id})
