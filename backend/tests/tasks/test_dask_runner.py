"""TASK_EXECUTOR=dask: fits and retriever fits of a real backend run on a real Dask
cluster on loopback (a scheduler and two workers of the project's venv)."""

import os
import signal
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import psutil
import pytest

from testkit.api import assert_problem, fit, upload_csv, wait_task
from testkit.dask import DaskCluster, dask_cluster
from testkit.databases import fresh_postgres_database, postgres_unavailable_reason
from testkit.replicas import within
from testkit.samples import SLOW_PARAMS, labelled_csv, slow_csv, slow_qa_csv
from testkit.servers import BackendServer, free_port, serving

pytestmark = pytest.mark.dask


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DaskCluster]:
    with dask_cluster(tmp_path_factory.mktemp("dask"), workers=2) as running:
        yield running


def _backend(root: Path, scheduler: str, database_url: str | None = None) -> BackendServer:
    env = {"TASK_EXECUTOR": "dask", "DASK_SCHEDULER_ADDRESS": scheduler, "DEFAULT_MODELS": "false"}
    return BackendServer(root=root, database_url=database_url, env=env)


@contextmanager
def _serving(backend: BackendServer) -> Iterator[BackendServer]:
    try:
        with serving(backend) as running:
            yield running
    finally:
        backend.stop()  # also when it did not answer in time


@pytest.fixture(scope="module")
def server(
    cluster: DaskCluster, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[BackendServer]:
    reason = postgres_unavailable_reason()
    if reason:
        pytest.skip(reason)
    with fresh_postgres_database() as url:
        backend = _backend(tmp_path_factory.mktemp("dask-backend"), cluster.address, url)
        with _serving(backend) as running:
            yield running


@pytest.fixture(scope="module")
def client(server: BackendServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.base_url, timeout=60) as c:
        yield c


@pytest.fixture(scope="module")
def slow_dataset(client: httpx.Client) -> dict[str, Any]:
    # about 6 s of fit on a quiet core: a kill right after its first progress lands mid-fit
    return upload_csv(client, slow_csv(rows=8000), "slow.csv").json()


def _running(client: httpx.Client, task_id: str, timeout: float = 180) -> dict[str, Any]:
    """The task once it runs and has reported progress."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        task = client.get(f"/api/v1/tasks/{task_id}").json()
        assert task["status"] in ("queued", "running"), task
        if task["status"] == "running" and task["progress"] > 0:
            return task
        time.sleep(0.1)
    raise TimeoutError(f"task {task_id} never reported progress")


def _fit_processes(cluster: DaskCluster, worker: str) -> list[psutil.Process]:
    """The fit children on the Dask worker at `worker`: forked by its forkserver."""
    pid = cluster.worker_pids()[worker]
    found = []
    for process in psutil.Process(pid).children(recursive=True):
        try:
            parent = process.parent()
            if (
                parent is not None
                and parent.pid != pid
                and "forkserver" in " ".join(parent.cmdline())
            ):
                found.append(process)
        except psutil.NoSuchProcess:
            continue
    return found


def _gone(process: psutil.Process) -> bool:
    try:
        return process.status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


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
    _gone_soon(server.models_dir / f".{accepted['model_id']}.lock")

    loaded = client.post("/api/v1/models/load", json={"model_id": accepted["model_id"]})
    assert loaded.status_code == 200, loaded.text
    body = {"model_id": accepted["model_id"], "texts": ["you stupid idiot", "thanks, nice photo"]}
    answer = client.post("/api/v1/models/predict", json=body)
    assert [p["label"] for p in answer.json()["predictions"]] == [1, 0], answer.text


def test_cancel_stops_the_fit_on_its_worker_within_5s(
    client: httpx.Client, server: BackendServer, cluster: DaskCluster, slow_dataset: dict
) -> None:
    accepted = fit(client, slow_dataset["id"], name="cancel-on-dask", params=SLOW_PARAMS)
    task = _running(client, accepted["task_id"])  # progress reaches the registry
    assert task["worker"].startswith("dask tcp://"), task
    worker = task["worker"].removeprefix("dask ")
    children = _fit_processes(cluster, worker)
    assert len(children) == 1, children

    started = time.monotonic()
    cancelled = client.post(f"/api/v1/tasks/{accepted['task_id']}/cancel")
    assert cancelled.status_code == 202, cancelled.text
    assert cancelled.json()["status"] == "cancelled"
    while not _gone(children[0]):
        assert time.monotonic() - started < 5, "the fit's process still runs 5 s after cancel"
        time.sleep(0.05)
    # the worker's CPU goes idle (its process tree, not the machine: others share it)
    tree = [psutil.Process(cluster.worker_pids()[worker])]
    tree += tree[0].children(recursive=True)
    for process in tree:
        process.cpu_percent()
    time.sleep(1.0)
    assert sum(p.cpu_percent() for p in tree if not _gone(p)) < 25
    model = client.get(f"/api/v1/models/{accepted['model_id']}").json()
    assert model["status"] == "cancelled", model
    assert not (server.models_dir / f"{accepted['model_id']}.zip").exists()
    assert not (server.models_dir / f".{accepted['model_id']}.lock").exists()
    assert_problem(client.post(f"/api/v1/tasks/{accepted['task_id']}/cancel"), 409, "finished")


def test_a_worker_killed_mid_fit_runs_it_again_elsewhere(
    client: httpx.Client, server: BackendServer, cluster: DaskCluster, slow_dataset: dict
) -> None:
    accepted = fit(client, slow_dataset["id"], name="kill-on-dask", params=SLOW_PARAMS)
    task = _running(client, accepted["task_id"])
    first = task["worker"].removeprefix("dask ")
    children = _fit_processes(cluster, first)
    os.kill(cluster.worker_pids()[first], signal.SIGKILL)
    deadline = time.monotonic() + 5
    while not all(_gone(child) for child in children):  # it dies with its worker
        assert time.monotonic() < deadline, "the fit outlived its Dask worker"
        time.sleep(0.05)

    task = wait_task(client, accepted["task_id"])
    assert task["status"] == "succeeded", task
    assert task["worker"].startswith("dask tcp://") and task["worker"] != f"dask {first}"
    model = client.get(f"/api/v1/models/{accepted['model_id']}").json()
    assert model["status"] == "ready", model
    assert (server.models_dir / f"{accepted['model_id']}.zip").is_file()
    _gone_soon(server.models_dir / f".{accepted['model_id']}.lock")


def _gone_soon(path: Path, timeout: float = 10.0) -> None:
    """The replica records a task's end first, then releases its lock (or, for a task
    that ended without a model, removes its files once no process can write them): an
    answer that says `succeeded` or `failed` may come a moment before that."""
    gone = within(timeout, lambda: not path.exists())
    assert gone is not None, f"{path.name} is still there {timeout:.0f} s on"


def _allowed_failures(cluster: DaskCluster, count: int) -> None:
    from distributed import Client

    def set_it(dask_scheduler: Any) -> None:
        dask_scheduler.allowed_failures = count

    with Client(cluster.address, timeout=10, set_as_default=False) as dask:
        dask.run_on_scheduler(set_it)


def test_a_worker_killed_with_no_retry_left_fails_the_fit_clearly(
    client: httpx.Client, server: BackendServer, cluster: DaskCluster, slow_dataset: dict
) -> None:
    _allowed_failures(cluster, 0)  # the scheduler's distributed.scheduler.allowed-failures
    try:
        accepted = fit(client, slow_dataset["id"], name="killed-on-dask", params=SLOW_PARAMS)
        task = _running(client, accepted["task_id"])
        os.kill(cluster.worker_pids()[task["worker"].removeprefix("dask ")], signal.SIGKILL)
        task = wait_task(client, accepted["task_id"], timeout=120)
    finally:
        _allowed_failures(cluster, 3)
    assert task["status"] == "failed", task
    assert "the Dask worker running this fit died" in task["error"], task
    model = client.get(f"/api/v1/models/{accepted['model_id']}").json()
    assert model["status"] == "failed" and "died" in model["error"], model
    _gone_soon(server.models_dir / f"{accepted['model_id']}.zip")
    _gone_soon(server.models_dir / f".{accepted['model_id']}.lock")


def test_a_retriever_fit_runs_on_a_dask_worker(client: httpx.Client, server: BackendServer) -> None:
    dataset = upload_csv(client, slow_qa_csv(contexts=300), "qa.csv").json()
    columns = {"context_column": "context", "question_column": "question"}
    body = {"name": "qa-on-dask", "dataset_id": dataset["id"], **columns}
    response = client.post("/api/v1/retrievers/fit", json=body)
    assert response.status_code == 202, response.text
    task = wait_task(client, response.json()["task_id"])
    assert task["status"] == "succeeded", task
    assert task["worker"].startswith("dask tcp://127.0.0.1:"), task
    retriever_id = response.json()["retriever_id"]
    assert client.post(f"/api/v1/retrievers/{retriever_id}/load").json()["loaded"] is True
    _gone_soon(server.retrievers_dir / f".{retriever_id}.lock")


def test_a_fit_without_a_scheduler_is_a_503_naming_it(tmp_path: Path) -> None:
    nowhere = f"tcp://127.0.0.1:{free_port()}"
    with (
        _serving(_backend(tmp_path, nowhere)) as server,
        httpx.Client(base_url=server.base_url, timeout=60) as client,
    ):
        dataset = upload_csv(client, labelled_csv(100, seed=22)).json()
        body = {"name": "no-scheduler", "kind": "logreg", "dataset_id": dataset["id"]}
        assert_problem(client.post("/api/v1/models/fit", json=body), 503, nowhere, "scheduler")
        task = client.get("/api/v1/tasks/").json()[0]
        assert task["status"] == "failed" and nowhere in task["error"], task
