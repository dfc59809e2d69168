"""A fit racing the deletion of its dataset: exactly one of them wins, and nothing is left
half-done (a task queued for a dataset that is gone, a model `training` for ever)."""

import random
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import httpx

from testkit.api import upload_csv, wait_task
from testkit.samples import labelled_csv
from testkit.servers import BackendServer

ROUNDS = 30


def _race(base_url: str, dataset_id: str, name: str, delay: float) -> tuple[httpx.Response, ...]:
    barrier = threading.Barrier(2)

    def fit() -> httpx.Response:
        with httpx.Client(base_url=base_url, timeout=60) as c:
            barrier.wait()
            body = {"name": name, "kind": "logreg", "dataset_id": dataset_id}
            return c.post("/api/v1/models/fit", json=body)

    def delete() -> httpx.Response:
        with httpx.Client(base_url=base_url, timeout=60) as c:
            barrier.wait()
            time.sleep(delay)
            return c.delete(f"/api/v1/datasets/{dataset_id}")

    with ThreadPoolExecutor(2) as pool:
        fitted, deleted = pool.submit(fit), pool.submit(delete)
        return fitted.result(), deleted.result()


def test_fit_racing_dataset_deletion(client: httpx.Client, server: BackendServer) -> None:
    rng = random.Random(13)
    outcomes: dict[tuple[int, int], int] = {}
    accepted: list[dict] = []
    prefix = f"race-{rng.randrange(10**6)}"
    for i in range(ROUNDS):
        dataset = upload_csv(client, labelled_csv(40, seed=1000 + i)).json()
        name = f"{prefix}-{i}"
        fitted, deleted = _race(server.base_url, dataset["id"], name, rng.uniform(0, 0.03))
        pair = (fitted.status_code, deleted.status_code)
        outcomes[pair] = outcomes.get(pair, 0) + 1
        versions = [
            m
            for m in client.get("/api/v1/models/", params={"limit": 1000}).json()
            if m["name"] == name
        ]
        if fitted.status_code == 404:  # the deletion won: no trace of the fit
            assert deleted.status_code == 204, (fitted.text, deleted.text)
            assert versions == [], versions
        else:
            assert fitted.status_code == 202, fitted.text
            accepted.append(fitted.json())
            if deleted.status_code == 204:  # allowed only once the task had ended
                task = client.get(f"/api/v1/tasks/{fitted.json()['task_id']}").json()
                assert task["status"] in ("succeeded", "failed", "cancelled"), task
            else:
                assert deleted.status_code == 409, deleted.text
                assert deleted.headers["content-type"].startswith("application/problem+json")
        # no active task (nor model in training) without its dataset, whenever we look
        datasets = {d["id"] for d in client.get("/api/v1/datasets", params={"limit": 1000}).json()}
        models = {m["id"]: m for m in client.get("/api/v1/models/", params={"limit": 1000}).json()}
        for task in client.get("/api/v1/tasks/", params={"limit": 1000}).json():
            if task["status"] in ("queued", "running"):
                assert models[task["model_id"]]["dataset_id"] in datasets, task
    for job in accepted:
        assert wait_task(client, job["task_id"])["status"] == "succeeded"
    statuses = {
        m["status"]
        for m in client.get("/api/v1/models/", params={"limit": 1000}).json()
        if m["name"].startswith(prefix)
    }
    assert "training" not in statuses, statuses
    print("outcomes (fit, delete):", outcomes)
