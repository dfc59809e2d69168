from pathlib import Path

import httpx
import pytest

from testkit.api import assert_problem, fit, upload_csv, wait_task
from testkit.samples import labelled_csv
from testkit.servers import BackendServer


def test_default_models_are_ready_and_cannot_be_removed(client: httpx.Client) -> None:
    defaults = [
        m for m in client.get("/api/v1/models/", params={"limit": 1000}).json() if m["is_default"]
    ]
    assert {m["kind"] for m in defaults} >= {"logreg", "naive_bayes"}
    assert all(m["loaded"] and m["status"] == "ready" for m in defaults)
    for model in defaults:
        assert_problem(client.delete(f"/api/v1/models/remove/{model['id']}"), 409, "default")


@pytest.mark.parametrize("path", ["/api/v1/models", "/api/v1/models/"])
def test_both_slash_forms_answer_without_a_redirect(client: httpx.Client, path: str) -> None:
    response = client.get(path)  # the client follows no redirect: a 307 fails here
    assert response.status_code == 200, response.status_code
    assert any(m["is_default"] for m in response.json())


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


def test_delete_model_by_id_and_the_deprecated_alias(client: httpx.Client) -> None:
    dataset = upload_csv(client, labelled_csv(120, seed=22)).json()
    first = fit(client, dataset["id"], name="delete-me", params={"min_df": 1})
    second = fit(client, dataset["id"], name="delete-me-too", params={"min_df": 1})
    for accepted in (first, second):
        assert wait_task(client, accepted["task_id"])["status"] == "succeeded"
    assert client.delete(f"/api/v1/models/{first['model_id']}").status_code == 204
    assert_problem(client.get(f"/api/v1/models/{first['model_id']}"), 404)
    assert_problem(client.delete(f"/api/v1/models/{first['model_id']}"), 404)
    assert client.delete(f"/api/v1/models/remove/{second['model_id']}").status_code == 204
    assert_problem(client.get(f"/api/v1/models/{second['model_id']}"), 404)
    paths = client.get("/openapi.json").json()["paths"]
    assert "delete" in paths["/api/v1/models/{model_id}"]
    assert paths["/api/v1/models/remove/{model_id}"]["delete"]["deprecated"] is True


def test_remove_all_is_not_taken_for_a_model_id(tmp_path: Path) -> None:
    # its own server: remove_all is global and would take the shared server's models
    server = BackendServer(root=tmp_path).start()
    try:
        client = httpx.Client(base_url=server.base_url, timeout=60)
        dataset = upload_csv(client, labelled_csv(120, seed=23)).json()
        accepted = fit(client, dataset["id"], name="swept", params={"min_df": 1})
        assert wait_task(client, accepted["task_id"])["status"] == "succeeded"
        response = client.delete("/api/v1/models/remove_all")
        assert response.status_code == 200, response.text
        assert accepted["model_id"] in response.json()["removed"]
        assert_problem(client.get(f"/api/v1/models/{accepted['model_id']}"), 404)
    finally:
        server.stop()
