"""TASK_EXECUTOR=dask: fits of a real backend run on a real Dask cluster on loopback (a
scheduler and two workers of the project's venv: conftest.py); retriever fits on it in
test_dask_retriever_fits.py."""

import os
import signal
import time
from pathlib import Path
from typing import Any

import httpx
import psutil
import pytest

from testkit.api import assert_problem, fit, upload_csv, wait_running, wait_task
from testkit.dask import DaskCluster, gone, serving_on_dask
from testkit.replicas import assert_gone_soon
from testkit.samples import SLOW_PARAMS, labelled_csv, slow_csv
from testkit.servers import BackendServer, free_port

pytestmark = pytest.mark.dask


@pytest.fixture(scope="module")
def slow_dataset(client: httpx.Client) -> dict[str, Any]:
    # about 6 s of fit on a quiet core: a kill right after its first progress lands mid-fit
    return upload_csv(client, slow_csv(rows=8000), "slow.csv").json()


def test_a_fit_runs_on_a_dask_worker_and_its_model_predicts(
    client: httpx.Client, server: BackendServer, cluster: DaskCluster
) -> None:
    dataset = upload_csv(client, labelled_csv(300, seed=21), "small.csv").json()
    accepted = fit(client, dataset["id"], name="on-dask")
    task = wait_task(client, accepted["task_id"])
    assert task["status"] == "succeeded", task
    assert task["progress"] == 1.0 and task["started_at"] is not None
    assert task["worker"].startswith("dask tcp://127.0.0.1:"), task
    assert task["worker"].removeprefix("dask ") in cluster.worker_pids()
    model = client.get(f"/api/v1/models/{accepted['model_id']}").json()
    assert model["status"] == "ready" and model["metrics"]["accuracy"] > 0.9, model
    assert (server.models_dir / f"{accepted['model_id']}.zip").is_file()
    assert_gone_soon(server.models_dir / f".{accepted['model_id']}.lock")

    loaded = client.post("/api/v1/models/load", json={"model_id": accepted["model_id"]})
    assert loaded.status_code == 200, loaded.text
    body = {"model_id": accepted["model_id"], "texts": ["you stupid idiot", "thanks, nice photo"]}
    answer = client.post("/api/v1/models/predict", json=body)
    assert [p["label"] for p in answer.json()["predictions"]] == [1, 0], answer.text


def test_cancel_stops_the_fit_on_its_worker_within_5s(
    client: httpx.Client, server: BackendServer, cluster: DaskCluster, slow_dataset: dict
) -> None:
    accepted = fit(client, slow_dataset["id"], name="cancel-on-dask", params=SLOW_PARAMS)
    task = wait_running(client, accepted["task_id"])  # progress reaches the registry
    assert task["worker"].startswith("dask tcp://"), task
    worker = task["worker"].removeprefix("dask ")
    children = cluster.fit_processes(worker)
    assert len(children) == 1, children

    started = time.monotonic()
    cancelled = client.post(f"/api/v1/tasks/{accepted['task_id']}/cancel")
    assert cancelled.status_code == 202, cancelled.text
    assert cancelled.json()["status"] == "cancelled"
    while not gone(children[0]):
        assert time.monotonic() - started < 5, "the fit's process still runs 5 s after cancel"
        time.sleep(0.05)
    # the worker's CPU goes idle (its process tree, not the machine: others share it)
    tree = [psutil.Process(cluster.worker_pids()[worker])]
    tree += tree[0].children(recursive=True)
    for process in tree:
        process.cpu_percent()
    time.sleep(1.0)
    assert sum(p.cpu_percent() for p in tree if not gone(p)) < 25
    model = client.get(f"/api/v1/models/{accepted['model_id']}").json()
    assert model["status"] == "cancelled", model
    assert not (server.models_dir / f"{accepted['model_id']}.zip").exists()
    assert not (server.models_dir / f".{accepted['model_id']}.lock").exists()
    assert_problem(client.post(f"/api/v1/tasks/{accepted['task_id']}/cancel"), 409, "finished")


def test_a_worker_killed_mid_fit_runs_it_again_elsewhere(
    client: httpx.Client, server: BackendServer, cluster: DaskCluster, slow_dataset: dict
) -> None:
    cluster.wait_for_workers()  # another test's victim is back: a worker to run it again
    accepted = fit(client, slow_dataset["id"], name="kill-on-dask", params=SLOW_PARAMS)
    task = wait_running(client, accepted["task_id"])
    first = task["worker"].removeprefix("dask ")
    children = cluster.fit_processes(first)
    os.kill(cluster.worker_pids()[first], signal.SIGKILL)
    deadline = time.monotonic() + 5
    while not all(gone(child) for child in children):  # it dies with its worker
        assert time.monotonic() < deadline, "the fit outlived its Dask worker"
        time.sleep(0.05)

    task = wait_task(client, accepted["task_id"])
    assert task["status"] == "succeeded", task
    assert task["worker"].startswith("dask tcp://") and task["worker"] != f"dask {first}"
    model = client.get(f"/api/v1/models/{accepted['model_id']}").json()
    assert model["status"] == "ready", model
    assert (server.models_dir / f"{accepted['model_id']}.zip").is_file()
    assert_gone_soon(server.models_dir / f".{accepted['model_id']}.lock")


def test_a_worker_killed_with_no_retry_left_fails_the_fit_clearly(
    client: httpx.Client, server: BackendServer, cluster: DaskCluster, slow_dataset: dict
) -> None:
    cluster.wait_for_workers()
    with cluster.allowed_failures(0):  # the scheduler's distributed.scheduler.allowed-failures
        accepted = fit(client, slow_dataset["id"], name="killed-on-dask", params=SLOW_PARAMS)
        task = wait_running(client, accepted["task_id"])
        os.kill(cluster.worker_pids()[task["worker"].removeprefix("dask ")], signal.SIGKILL)
        task = wait_task(client, accepted["task_id"], timeout=120)
    assert task["status"] == "failed", task
    assert "the Dask worker running this fit died" in task["error"], task
    model = client.get(f"/api/v1/models/{accepted['model_id']}").json()
    assert model["status"] == "failed" and "died" in model["error"], model
    assert_gone_soon(server.models_dir / f"{accepted['model_id']}.zip")
    assert_gone_soon(server.models_dir / f".{accepted['model_id']}.lock")


def test_a_fit_without_a_scheduler_is_a_503_naming_it(tmp_path: Path) -> None:
    nowhere = f"tcp://127.0.0.1:{free_port()}"
    with (
        serving_on_dask(tmp_path, nowhere) as server,
        httpx.Client(base_url=server.base_url, timeout=60) as client,
    ):
        dataset = upload_csv(client, labelled_csv(100, seed=22)).json()
        body = {"name": "no-scheduler", "kind": "logreg", "dataset_id": dataset["id"]}
        assert_problem(client.post("/api/v1/models/fit", json=body), 503, nowhere, "scheduler")
        task = client.get("/api/v1/tasks/").json()[0]
        assert task["status"] == "failed" and nowhere in task["error"], task
