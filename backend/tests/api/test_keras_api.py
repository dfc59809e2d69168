"""Keras kinds through the API: the same fit, watch, load, predict, score, restart, remove."""

import csv
import io
import os
import re
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from testkit.api import KERAS_CNN_TINY, assert_problem, fit, upload_csv
from testkit.samples import labelled_csv, slow_csv
from testkit.servers import BackendServer

pytestmark = pytest.mark.keras


@pytest.fixture(scope="module")
def keras_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BackendServer]:
    server = BackendServer(root=tmp_path_factory.mktemp("keras-backend")).start()
    yield server
    server.stop()


def watch(client: httpx.Client, task_id: str, timeout: float = 300) -> tuple[dict, list[str]]:
    messages: list[str] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        task = client.get(f"/api/v1/tasks/{task_id}").json()
        if not messages or messages[-1] != task["message"]:
            messages.append(task["message"])
        if task["status"] in ("succeeded", "failed", "cancelled"):
            return task, messages
        time.sleep(0.05)
    raise TimeoutError(task_id)


def test_keras_cnn_end_to_end(keras_server: BackendServer) -> None:
    client = httpx.Client(base_url=keras_server.base_url, timeout=120)
    dataset = upload_csv(client, labelled_csv(400, seed=61), "keras.csv").json()
    accepted = fit(client, dataset["id"], name="cnn", kind="keras_cnn", params=KERAS_CNN_TINY)
    task, messages = watch(client, accepted["task_id"])
    assert task["status"] == "succeeded", task
    assert any("epoch" in m and "/2" in m for m in messages), messages
    model = client.get(f"/api/v1/models/{accepted['model_id']}").json()
    assert model["params"]["filters"] == 8 and model["params"]["dropout"] == 0.3
    assert {"loss", "val_loss", "accuracy", "auc"} <= model["history"].keys()
    assert 1 <= len(model["history"]["loss"]) <= 2 and model["metrics"]["roc_auc"] > 0.8

    client.post("/api/v1/models/load", json={"model_id": model["id"]})
    texts = ["you stupid idiot moron", "thanks for the source, nice photo"]
    predictions = client.post(
        "/api/v1/models/predict", json={"model_id": model["id"], "texts": texts}
    ).json()["predictions"]
    # a 2-epoch network's scores sit close together: its ranking is what is checked, and
    # each label is the one its decision threshold (chosen on held-out rows) picks
    toxic = [
        next(c["probability"] for c in p["probabilities"] if c["label"] == 1) for p in predictions
    ]
    assert toxic[0] > toxic[1]
    cut = model["thresholds"]["thresholds"][0]["threshold"]
    assert [p["label"] for p in predictions] == [int(t >= cut) for t in toxic]
    unknown = client.post(
        "/api/v1/models/predict", json={"model_id": model["id"], "texts": ["Привет как дела"]}
    ).json()["predictions"][0]
    assert unknown["known_token_share"] == 0 and unknown["warning"] == (
        "none of its words is known to the model: the answer rests on the network's token "
        "for unknown words and is unreliable"
    )

    # a Keras answer is explained by occlusion: each word's weight is the probability the
    # label loses without it, and its spans point at the word in the original text
    text = "You STUPID idiot, moron!"
    explained = client.post(
        "/api/v1/models/predict",
        json={"model_id": model["id"], "texts": [text], "explain": True},
    ).json()["predictions"][0]
    explanation = explained["explanation"]
    assert explanation["method"] == "occlusion" and explanation["label"] == explained["label"]
    terms = explanation["towards"] + explanation["away"]
    assert terms and all(t["spans"] for t in terms)
    for term in terms:
        assert [text[s:e].lower() for s, e in term["spans"]] == [term["term"]] * len(term["spans"])

    result = client.post(
        "/api/v1/models/predict_csv",
        data={"model_id": model["id"]},
        files={"file": ("in.csv", b'comment_text\nyou stupid idiot moron\n"two\nlines"\n')},
    )
    rows = list(csv.DictReader(io.StringIO(result.text)))
    assert len(rows) == 2 and rows[0]["Result"] == str(int(toxic[0] >= cut))
    scores = client.post(
        "/api/v1/models/predict_scores",
        json={"model_ids": [model["id"]], "dataset_id": dataset["id"]},
    ).json()
    assert scores["results"][0]["roc_auc"] > 0.8

    keras_server.restart()
    client = httpx.Client(base_url=keras_server.base_url, timeout=120)
    again = client.get(f"/api/v1/models/{model['id']}").json()
    assert again["loaded"] and again["history"] == model["history"]
    assert (
        client.post(
            "/api/v1/models/predict", json={"model_id": model["id"], "texts": texts}
        ).status_code
        == 200
    )
    assert client.delete(f"/api/v1/models/remove/{model['id']}").status_code == 204
    assert not (keras_server.models_dir / f"{model['id']}.zip").exists()


def test_keras_fit_estimates_its_end_and_cancel_leaves_no_model(
    keras_server: BackendServer,
) -> None:
    client = httpx.Client(base_url=keras_server.base_url, timeout=120)
    dataset = upload_csv(client, slow_csv(rows=6000), "keras-slow.csv").json()
    accepted = fit(
        client,
        dataset["id"],
        name="bilstm",
        kind="keras_bilstm",
        params={"epochs": 50, "patience": 50},
    )
    deadline = time.monotonic() + 120
    while "epoch" not in client.get(f"/api/v1/tasks/{accepted['task_id']}").json()["message"]:
        assert time.monotonic() < deadline, "training never reported an epoch"
        time.sleep(0.2)
    # the epochs' own pace gives the end: 50 epochs of 6,000 texts lie ahead
    deadline = time.monotonic() + 60
    while (task := client.get(f"/api/v1/tasks/{accepted['task_id']}").json())[
        "expected_finish_at"
    ] is None:
        assert time.monotonic() < deadline, f"no estimate of the end: {task}"
        time.sleep(0.2)
    expected = datetime.fromisoformat(task["expected_finish_at"])
    assert expected > datetime.now(UTC) + timedelta(seconds=10), task
    cancelled = client.post(f"/api/v1/tasks/{accepted['task_id']}/cancel").json()
    assert cancelled["status"] == "cancelled" and cancelled["expected_finish_at"] is None
    time.sleep(2.5)
    assert not list(Path(keras_server.models_dir).glob(f"*{accepted['model_id']}*"))
    assert_problem(client.post("/api/v1/models/load", json={"model_id": accepted["model_id"]}), 409)


def _worker_pid(server: BackendServer, task_id: str) -> int:
    found = re.findall(rf"task {task_id} running in process (\d+)", server.output())
    assert found, "the server logs which process runs a task"
    return int(found[-1])


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_a_worker_that_ran_keras_is_replaced(keras_server: BackendServer) -> None:
    client = httpx.Client(base_url=keras_server.base_url, timeout=120)
    dataset = upload_csv(client, labelled_csv(200, seed=62), "keras-then-sklearn.csv").json()
    keras = fit(client, dataset["id"], name="cnn-once", kind="keras_cnn", params=KERAS_CNN_TINY)
    assert watch(client, keras["task_id"])[0]["status"] == "succeeded"
    keras_pid = _worker_pid(keras_server, keras["task_id"])
    deadline = time.monotonic() + 20
    while _alive(keras_pid):  # TensorFlow's threads and memory go with its process
        assert time.monotonic() < deadline, "the worker that ran Keras still runs"
        time.sleep(0.1)
    assert "is replaced before its next job" in keras_server.output()

    after = fit(client, dataset["id"], name="logreg-after", params={"min_df": 1})
    assert watch(client, after["task_id"])[0]["status"] == "succeeded"
    sklearn_pid = _worker_pid(keras_server, after["task_id"])
    assert sklearn_pid != keras_pid
    maps = Path(f"/proc/{sklearn_pid}/maps").read_text()  # its pool idles for a minute
    assert "tensorflow" not in maps, "a scikit-learn worker has TensorFlow loaded"
