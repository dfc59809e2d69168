"""What the cluster tests (infra/tests/test_cluster.py) ask of a running topology, through
nginx or one replica's own address: fits and their Dask workers, the models each replica
holds in memory, a consistent registry, a worker's CPU."""

import hashlib
import re
import time
from typing import Any

import httpx

from testkit.cluster import Cluster
from testkit.processes import tree_cpu_seconds

CONVERGE_S = 2.0  # the bound: every replica holds the same loaded models
TEXTS = ["you are a stupid idiot", "thanks for the helpful edit"]


def fit(proxy: httpx.Client, dataset_id: str, **params: Any) -> dict[str, Any]:
    body = {"name": "cluster-logreg", "kind": "logreg", "dataset_id": dataset_id, **params}
    response = proxy.post("/api/v1/models/fit", json=body)
    assert response.status_code == 202, response.text
    return response.json()


def wait_running(proxy: httpx.Client, task_id: str, timeout: float = 120) -> dict[str, Any]:
    """The task once a Dask worker has started it (it names the worker)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        task = proxy.get(f"/api/v1/tasks/{task_id}").json()
        if task["status"] == "running" and task.get("worker"):
            return task
        assert task["status"] == "queued", task
        time.sleep(0.1)
    raise TimeoutError(f"task {task_id} did not start in {timeout}s")


def worker_name(cluster: Cluster, task: dict[str, Any]) -> str:
    where = task["worker"]
    assert where.startswith("dask tcp://127.0.0.1:"), where
    by_address = {address: name for name, address in cluster.worker_addresses().items()}
    assert where.removeprefix("dask ") in by_address, (where, by_address)
    return by_address[where.removeprefix("dask ")]


def predict_status(base_url: str, model_id: str) -> int:
    body = {"model_id": model_id, "texts": TEXTS}
    return httpx.post(f"{base_url}/api/v1/models/predict", json=body, timeout=30).status_code


def held_models(cluster: Cluster) -> dict[str, int]:
    """How many models each replica holds in memory now (its own /metrics, which nginx
    does not publish). Asked without predicting: a /predict of a model loaded elsewhere
    would load it on demand and hide whether the replica converged by itself."""
    held = {}
    for name in cluster.replica_names:
        text = httpx.get(f"{cluster.replica_url(name)}/metrics", timeout=30).text
        held[name] = int(float(re.search(r"^textclf_loaded_models (\S+)$", text, re.M)[1]))
    return held


def converge(cluster: Cluster, count: int) -> float:
    """Seconds until every replica holds `count` models (the convergence bound and a bit
    at most)."""
    started = time.monotonic()
    while (held := held_models(cluster)) != dict.fromkeys(cluster.replica_names, count):
        assert time.monotonic() - started < CONVERGE_S + 3, f"{held}, not {count} each"
        time.sleep(0.05)
    return time.monotonic() - started


def same_everywhere(cluster: Cluster) -> int:
    held = held_models(cluster)
    assert len(set(held.values())) == 1, held
    return next(iter(held.values()))


def answers_everywhere(cluster: Cluster, model_id: str, status: int) -> None:
    for name in cluster.replica_names:
        assert predict_status(cluster.replica_url(name), model_id) == status, name


def assert_registry_consistent(cluster: Cluster, proxy: httpx.Client) -> None:
    """No task left queued or running, and every ready model has its file on the share."""
    tasks = proxy.get("/api/v1/tasks", params={"limit": 1000}).json()
    assert not [t for t in tasks if t["status"] in ("queued", "running")], tasks
    files = {hashlib.sha256(p.read_bytes()).hexdigest() for p in cluster.models_dir.glob("*.zip")}
    models = proxy.get("/api/v1/models", params={"limit": 1000}).json()
    for model in models:
        if model["status"] == "ready":
            assert model["artifact_sha256"] in files, f"ready model {model['id']} has no file"


def cores(pid: int, window_s: float = 1.0) -> float:
    """CPU a worker's process tree (nanny, worker, a fit's child) uses, in cores."""
    before = tree_cpu_seconds(pid)
    time.sleep(window_s)
    return (tree_cpu_seconds(pid) - before) / window_s


def idle_within(pid: int, seconds: float) -> None:
    """The worker's process tree falls idle within `seconds` (an idle worker and nanny:
    heartbeats, monitoring)."""
    started = time.monotonic()
    while (used := cores(pid)) > 0.15:
        assert time.monotonic() - started < seconds, f"the worker still uses {used:.2f} cores"
