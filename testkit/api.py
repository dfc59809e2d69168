"""Small helpers for tests that talk to the real API."""

import time
from pathlib import Path
from typing import Any

import httpx


def upload_csv(
    client: httpx.Client, content: bytes | Path, filename: str = "data.csv", name: str | None = None
) -> httpx.Response:
    data = content.read_bytes() if isinstance(content, Path) else content
    fields = {"name": name} if name else None
    return client.post(
        "/api/v1/datasets", files={"file": (filename, data, "text/csv")}, data=fields
    )


def wait_task(
    client: httpx.Client, task_id: str, timeout: float = 180, interval: float = 0.2
) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        task = client.get(f"/api/v1/tasks/{task_id}").json()
        if task["status"] in ("succeeded", "failed", "cancelled"):
            return task
        time.sleep(interval)
    raise TimeoutError(f"task {task_id} still {task['status']} after {timeout}s")


def wait_running(client: httpx.Client, task_id: str, timeout: float = 180) -> dict[str, Any]:
    """The task once it runs and has reported progress."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        task = client.get(f"/api/v1/tasks/{task_id}").json()
        assert task["status"] in ("queued", "running"), task
        if task["status"] == "running" and task["progress"] > 0:
            return dict(task)
        time.sleep(0.1)
    raise TimeoutError(f"task {task_id} never reported progress")


# a keras_cnn's params small enough that its fit over the API takes seconds
KERAS_CNN_TINY = {
    "epochs": 2,
    "batch_size": 32,
    "max_tokens": 500,
    "sequence_length": 16,
    "embedding_dim": 8,
    "filters": 8,
    "kernel_size": 3,
    "validation_split": 0.2,
}


def fit(client: httpx.Client, dataset_id: str, **overrides: Any) -> dict[str, Any]:
    body = {"name": "test-model", "kind": "logreg", "dataset_id": dataset_id, **overrides}
    response = client.post("/api/v1/models/fit", json=body)
    assert response.status_code == 202, response.text
    return response.json()


def assert_problem(response: httpx.Response, status: int, *fragments: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert {"type", "title", "status", "detail"} <= body.keys()
    assert body["status"] == status
    for fragment in fragments:
        assert fragment.lower() in body["detail"].lower(), body["detail"]
    return body
