"""A keras_cnn version retrained and continued over the API: the continuation trains the
saved network further with its vocabulary fixed; new classes are a 422."""

from collections.abc import Iterator

import httpx
import pytest

from testkit.api import KERAS_CNN_TINY, assert_problem, fit, upload_csv, wait_task
from testkit.samples import labelled_csv
from testkit.servers import BackendServer, serving

pytestmark = pytest.mark.keras


@pytest.fixture(scope="module")
def keras_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BackendServer]:
    """A server of its own without default models: it starts in seconds."""
    root = tmp_path_factory.mktemp("keras-versions")
    with serving(BackendServer(root=root, env={"DEFAULT_MODELS": "false"})) as server:
        yield server


def _done(client: httpx.Client, response: httpx.Response) -> dict:
    assert response.status_code == 202, response.text
    accepted = response.json()
    task = wait_task(client, accepted["task_id"], timeout=300)
    assert task["status"] == "succeeded", task
    return client.get(f"/api/v1/models/{accepted['model_id']}").json()


def test_keras_cnn_retrain_and_incremental(keras_server: BackendServer) -> None:
    client = httpx.Client(base_url=keras_server.base_url, timeout=120)
    first = upload_csv(client, labelled_csv(300, seed=71), "k1.csv").json()
    second = upload_csv(client, labelled_csv(300, seed=72), "k2.csv").json()
    accepted = fit(
        client, first["id"], name="versions-cnn", kind="keras_cnn", params=KERAS_CNN_TINY
    )
    assert wait_task(client, accepted["task_id"], timeout=300)["status"] == "succeeded"
    parent = client.get(f"/api/v1/models/{accepted['model_id']}").json()

    retrained = _done(
        client,
        client.post(
            f"/api/v1/models/{parent['id']}/retrain",
            json={"data": "both", "dataset_id": second["id"], "params": {"epochs": 1}},
        ),
    )
    assert retrained["source"] == "retrain" and retrained["parent_id"] == parent["id"]
    assert retrained["params"]["epochs"] == 1 and retrained["params"]["filters"] == 8
    assert [d["id"] for d in retrained["lineage_datasets"]] == [first["id"], second["id"]]
    assert len(retrained["history"]["loss"]) == 1

    continued = _done(
        client,
        client.post(
            f"/api/v1/models/{parent['id']}/incremental",
            json={"dataset_id": second["id"], "epochs": 3},
        ),
    )
    assert continued["source"] == "incremental" and continued["kind"] == "keras_cnn"
    assert continued["version"] == parent["version"] + 2
    assert len(continued["history"]["loss"]) == 3  # the number of epochs asked for
    assert continued["metrics"]["roc_auc"] > 0.9
    client.post("/api/v1/models/load", json={"model_id": continued["id"]})
    answer = client.post(
        "/api/v1/models/predict",
        json={"model_id": continued["id"], "texts": ["you are a stupid idiot", "nice photo"]},
    ).json()
    assert [p["label"] for p in answer["predictions"]] == [1, 0]
    client.post("/api/v1/models/unload", json={"model_id": continued["id"]})

    strings = labelled_csv(100, seed=73, labels=("clean", "toxic"))
    third = upload_csv(client, strings, "k3.csv").json()
    assert_problem(
        client.post(f"/api/v1/models/{parent['id']}/incremental", json={"dataset_id": third["id"]}),
        422,
        "cannot add classes",
    )
