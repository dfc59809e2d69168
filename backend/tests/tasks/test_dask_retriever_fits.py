"""TASK_EXECUTOR=dask: retriever fits (`services/retriever_fits.py`) of a real backend on a
real Dask cluster on loopback (conftest.py), through the same `run_on_dask` path as model
fits. A worker killed mid-fit: the scheduler runs the fit again on another worker, and the
retriever ends ready with complete files; with no retry left the fit fails saying why, and
the retriever ends failed with nothing left on disk."""

import csv
import io
import os
import signal
import time
from typing import Any

import httpx
import pytest

from testkit.api import assert_problem, upload_csv, wait_running, wait_task
from testkit.dask import DaskCluster, gone
from testkit.replicas import assert_gone_soon
from testkit.samples import SLOW_RETRIEVER_PARAMS, slow_qa_csv
from testkit.servers import BackendServer

pytestmark = pytest.mark.dask

# about 7 s of fit on a quiet core (most of it encoding, after the first progress at
# 0.05), so a kill right after that progress lands mid-fit, and the rerun stays short
SLOW_CONTEXTS = 2_000
COLUMNS = {"context_column": "context", "question_column": "question", "answer_column": "answer"}


@pytest.fixture(scope="module")
def slow_qa() -> bytes:
    return slow_qa_csv(contexts=SLOW_CONTEXTS)


@pytest.fixture(scope="module")
def slow_qa_dataset(client: httpx.Client, slow_qa: bytes) -> dict[str, Any]:
    return upload_csv(client, slow_qa, "slow_qa.csv").json()


def _fit(client: httpx.Client, dataset_id: str, name: str, **extra: Any) -> dict[str, Any]:
    body = {"name": name, "dataset_id": dataset_id, **COLUMNS, **extra}
    response = client.post("/api/v1/retrievers/fit", json=body)
    assert response.status_code == 202, response.text
    return dict(response.json())


def _kill_mid_fit(client: httpx.Client, cluster: DaskCluster, task_id: str) -> str:
    """Kill -9 the Dask worker while the fit really runs on it; its address."""
    task = wait_running(client, task_id)
    victim = task["worker"].removeprefix("dask ")
    children = cluster.fit_processes(victim)
    assert len(children) == 1 and not gone(children[0]), children
    still = client.get(f"/api/v1/tasks/{task_id}").json()
    assert still["status"] == "running" and still["progress"] < 1.0, still
    assert still["worker"] == f"dask {victim}", f"the fit ended before the kill: {still}"
    os.kill(cluster.worker_pids()[victim], signal.SIGKILL)
    deadline = time.monotonic() + 5
    while not gone(children[0]):  # the fit dies with its worker
        assert time.monotonic() < deadline, "the retriever fit outlived its Dask worker"
        time.sleep(0.05)
    return victim


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
    assert_gone_soon(server.retrievers_dir / f".{retriever_id}.lock")


def test_a_worker_killed_mid_retriever_fit_runs_it_again_elsewhere(
    client: httpx.Client,
    server: BackendServer,
    cluster: DaskCluster,
    slow_qa: bytes,
    slow_qa_dataset: dict[str, Any],
) -> None:
    cluster.wait_for_workers()  # another test's victim is back: a worker to run it again
    accepted = _fit(client, slow_qa_dataset["id"], "qa-killed", params=SLOW_RETRIEVER_PARAMS)
    victim = _kill_mid_fit(client, cluster, accepted["task_id"])

    task = wait_task(client, accepted["task_id"])
    assert task["status"] == "succeeded", task
    assert task["worker"].startswith("dask tcp://") and task["worker"] != f"dask {victim}", task
    assert task["progress"] == 1.0 and task["message"] == "done" and task["error"] is None, task
    retriever_id = accepted["retriever_id"]
    retriever = client.get(f"/api/v1/retrievers/{retriever_id}").json()
    assert retriever["status"] == "ready" and retriever["error"] is None, retriever
    assert retriever["contexts"] == SLOW_CONTEXTS, retriever
    folder = server.retrievers_dir / retriever_id
    assert (folder / "encoder.joblib").is_file() and (folder / "shard").is_dir()
    assert_gone_soon(server.retrievers_dir / f".{retriever_id}.lock")

    # the files the rerun wrote answer: a question finds its own context's answer
    _, row, *_ = csv.reader(io.StringIO(slow_qa.decode()))
    context, question, answer = row
    assert client.post(f"/api/v1/retrievers/{retriever_id}/load").json()["loaded"] is True
    try:
        find = {"questions": [question], "top_k": 1}
        found = client.post(f"/api/v1/retrievers/{retriever_id}/find_context", json=find)
        assert found.status_code == 200, found.text
        [hit] = found.json()["results"][0]["hits"]
        assert hit["context"] == context and hit["answers"] == [answer], hit
    finally:
        client.post(f"/api/v1/retrievers/{retriever_id}/unload")


def test_a_worker_killed_with_no_retry_left_fails_the_retriever_fit_clearly(
    client: httpx.Client,
    server: BackendServer,
    cluster: DaskCluster,
    slow_qa_dataset: dict[str, Any],
) -> None:
    cluster.wait_for_workers()
    with cluster.allowed_failures(0):  # the scheduler's distributed.scheduler.allowed-failures
        accepted = _fit(client, slow_qa_dataset["id"], "qa-died", params=SLOW_RETRIEVER_PARAMS)
        victim = _kill_mid_fit(client, cluster, accepted["task_id"])
        task = wait_task(client, accepted["task_id"], timeout=120)

    assert task["status"] == "failed" and task["message"] == "failed", task
    assert "the Dask worker running this fit died" in task["error"], task
    assert victim in task["error"], task  # the last worker it ran on
    retriever_id = accepted["retriever_id"]
    # written right after the task's end (two commits apart), not after the wait for the
    # dead worker's lock (which took long enough for a reader to see it still training)
    retriever = _settled(client, retriever_id, within_s=2.0)
    assert retriever["status"] == "failed" and retriever["error"] == task["error"], retriever
    assert retriever["contexts"] is None, retriever
    assert_gone_soon(server.retrievers_dir / retriever_id)
    assert_gone_soon(server.retrievers_dir / f".{retriever_id}.lock")
    assert_problem(client.post(f"/api/v1/retrievers/{retriever_id}/load"), 409, "failed")


def _settled(client: httpx.Client, retriever_id: str, within_s: float) -> dict[str, Any]:
    """The retriever once it no longer says `training`, or as it is after `within_s`."""
    deadline = time.monotonic() + within_s
    while True:
        retriever: dict[str, Any] = client.get(f"/api/v1/retrievers/{retriever_id}").json()
        if retriever["status"] != "training" or time.monotonic() > deadline:
            return retriever
        time.sleep(0.05)
