import httpx

from testkit.api import assert_problem, fit, upload_csv, wait_task
from testkit.samples import labelled_csv
from testkit.servers import BackendServer


def test_default_models_are_ready_and_cannot_be_removed(client: httpx.Client) -> None:
    defaults = [m for m in client.get("/api/v1/models/").json() if m["is_default"]]
    assert {m["kind"] for m in defaults} >= {"logreg", "naive_bayes"}
    assert all(m["loaded"] and m["status"] == "ready" for m in defaults)
    for model in defaults:
        assert_problem(client.delete(f"/api/v1/models/remove/{model['id']}"), 409, "default")


def test_remove_one_model(client: httpx.Client, server: BackendServer) -> None:
    dataset = upload_csv(client, labelled_csv(120, seed=21)).json()
    accepted = fit(client, dataset["id"], name="remove-me", params={"min_df": 1})
    assert wait_task(client, accepted["task_id"])["status"] == "succeeded"
    model_id = accepted["model_id"]
    assert (server.models_dir / f"{model_id}.zip").exists()
    client.post("/api/v1/models/load", json={"model_id": model_id})
    assert client.delete(f"/api/v1/models/remove/{model_id}").status_code == 204
    assert_problem(client.get(f"/api/v1/models/{model_id}"), 404)
    assert not (server.models_dir / f"{model_id}.zip").exists()
    assert_problem(client.delete(f"/api/v1/models/remove/{model_id}"), 404)
    assert_problem(
        client.post("/api/v1/models/predict", json={"model_id": model_id, "texts": ["a"]}), 404
    )
