import re
import time

import httpx
import pytest

from testkit.api import assert_problem, fit, upload_csv, wait_task
from testkit.samples import SLOW_PARAMS, labelled_csv, slow_csv
from testkit.servers import BackendServer


def wait_running(client: httpx.Client, task_id: str, timeout: float = 60) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        task = client.get(f"/api/v1/tasks/{task_id}").json()
        if task["status"] != "queued":
            return task
        time.sleep(0.1)
    raise TimeoutError(task_id)


@pytest.fixture(scope="module")
def slow_dataset(client: httpx.Client) -> dict:
    return upload_csv(client, slow_csv(), "slow.csv").json()


def test_tasks_list_newest_first(client: httpx.Client) -> None:
    tasks = client.get("/api/v1/tasks/").json()
    # the default models' fits and the default retriever's at least (the session's server
    # also runs other tests' tasks)
    assert tasks and {t["kind"] for t in tasks} >= {"fit", "retriever_fit"}
    created = [t["created_at"] for t in tasks]
    assert created == sorted(created, reverse=True)
    assert_problem(client.get("/api/v1/tasks/nosuchtask"), 404)


@pytest.mark.parametrize("path", ["/api/v1/tasks", "/api/v1/tasks/"])
def test_both_slash_forms_answer_without_a_redirect(client: httpx.Client, path: str) -> None:
    response = client.get(path)  # the client follows no redirect: a 307 fails here
    assert response.status_code == 200, response.status_code
    assert isinstance(response.json(), list) and response.json()


def test_cancel_stops_the_worker_and_the_pool_goes_on(
    client: httpx.Client, server: BackendServer, slow_dataset: dict
) -> None:
    accepted = fit(
        client, slow_dataset["id"], name="to-cancel", kind="linear_svc", params=SLOW_PARAMS
    )
    task = wait_running(client, accepted["task_id"])
    assert task["status"] == "running", task
    time.sleep(1.0)
    pids = re.findall(rf"task {accepted['task_id']} running in process (\d+)", server.output())
    assert pids, "the server logs which process runs a task"

    response = client.post(f"/api/v1/tasks/{accepted['task_id']}/cancel")
    assert response.status_code == 202, response.text
    assert response.json()["status"] == "cancelled"
    model = client.get(f"/api/v1/models/{accepted['model_id']}").json()
    assert model["status"] == "cancelled" and "cancel" in model["error"]
    time.sleep(2.5)
    assert not (server.models_dir / f"{accepted['model_id']}.zip").exists()
    with pytest.raises(ProcessLookupError):
        import os

        os.kill(int(pids[0]), 0)  # the worker process is gone
    assert_problem(client.post(f"/api/v1/tasks/{accepted['task_id']}/cancel"), 409, "finished")

    dataset = upload_csv(client, labelled_csv(100, seed=8)).json()
    after = fit(client, dataset["id"], name="after-cancel", params={"min_df": 1})
    assert wait_task(client, after["task_id"])["status"] == "succeeded"


def test_api_answers_while_every_worker_is_busy(client: httpx.Client, slow_dataset: dict) -> None:
    busy = [
        fit(client, slow_dataset["id"], name=f"busy-{i}", kind="linear_svc", params=SLOW_PARAMS)
        for i in range(3)
    ]
    try:
        for accepted in busy[:2]:
            wait_running(client, accepted["task_id"])
        assert client.get(f"/api/v1/tasks/{busy[2]['task_id']}").json()["status"] == "queued"
        started = time.monotonic()
        assert client.get("/healthz", timeout=5).status_code == 200
        assert client.get("/api/v1/models/", timeout=5).status_code == 200
        assert time.monotonic() - started < 5
        running = client.get(f"/api/v1/tasks/{busy[0]['task_id']}").json()
        assert running["message"]  # a human stage message while it runs
        assert_problem(
            client.delete(f"/api/v1/datasets/{slow_dataset['id']}"), 409, "is used by a", "fit task"
        )
        assert_problem(
            client.delete(f"/api/v1/models/remove/{busy[0]['model_id']}"), 409, "training"
        )
    finally:
        for accepted in busy:
            client.post(f"/api/v1/tasks/{accepted['task_id']}/cancel")
    statuses = {client.get(f"/api/v1/tasks/{a['task_id']}").json()["status"] for a in busy}
    assert statuses == {"cancelled"}


def test_a_task_keeps_its_models_name_and_finished_tasks_can_be_cleared(
    client: httpx.Client,
) -> None:
    dataset = upload_csv(client, labelled_csv(60, seed=515), "clear.csv").json()
    accepted = fit(client, dataset["id"], name="task-history", params={"min_df": 1})
    assert wait_task(client, accepted["task_id"])["status"] == "succeeded"
    task = client.get(f"/api/v1/tasks/{accepted['task_id']}").json()
    assert (task["model_name"], task["model_version"]) == ("task-history", 1)
    assert task["dataset_id"] == dataset["id"]
    removed = client.delete(f"/api/v1/models/{accepted['model_id']}")
    assert removed.status_code == 204, removed.text
    task = client.get(f"/api/v1/tasks/{accepted['task_id']}").json()
    assert task["model_id"] is None and task["model_name"] == "task-history"

    for path in ("/api/v1/tasks", "/api/v1/tasks/"):
        cleared = client.delete(path)
        assert cleared.status_code == 200, cleared.text
        assert isinstance(cleared.json()["removed"], int)
    assert_problem(client.get(f"/api/v1/tasks/{accepted['task_id']}"), 404)
    assert all(
        t["status"] not in ("succeeded", "failed", "cancelled")
        for t in client.get("/api/v1/tasks").json()
    )
