"""The product behind nginx, as users reach it: every request here goes through the proxy."""

import csv
import time
from pathlib import Path

import httpx
import pytest

from testkit.bigcsv import MIB, repeat_csv
from testkit.data import DEMO_CSV
from testkit.stack import Stack

pytestmark = pytest.mark.stack

PROBLEM_JSON = "application/problem+json"


def _upload(client: httpx.Client, path: Path) -> httpx.Response:
    with path.open("rb") as handle:  # httpx streams an open file from disk
        return client.post("/api/v1/datasets", files={"file": (path.name, handle, "text/csv")})


def _wait_for_task(client: httpx.Client, task_id: str, timeout: float = 180) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        task = client.get(f"/api/v1/tasks/{task_id}").raise_for_status().json()
        if task["status"] in ("succeeded", "failed", "cancelled"):
            return task
        time.sleep(0.5)
    raise TimeoutError(f"task {task_id} did not finish in {timeout}s")


def _csv_rows(path: Path) -> int:
    with path.open(newline="", encoding="utf-8") as handle:
        return sum(1 for _ in csv.reader(handle)) - 1


@pytest.fixture(scope="module")
def trained_model(proxy: httpx.Client) -> str:
    """Upload the demo CSV, fit logistic regression on it, load the model: its id.
    Word terms only: what the 100 MB test measures is nginx and the stream, and character
    n-grams would make its transform (not the stack) most of its time."""
    response = _upload(proxy, DEMO_CSV)
    assert response.status_code in (200, 201), response.text
    dataset = response.json()
    assert dataset["rows"] == _csv_rows(DEMO_CSV)
    fit = proxy.post(
        "/api/v1/models/fit",
        json={
            "name": "stack-logreg",
            "kind": "logreg",
            "dataset_id": dataset["id"],
            "params": {"char_ngram_range": None},
        },
    )
    assert fit.status_code == 202, fit.text
    task = _wait_for_task(proxy, fit.json()["task_id"])
    assert task["status"] == "succeeded", task
    model_id = fit.json()["model_id"]
    loaded = proxy.post("/api/v1/models/load", json={"model_id": model_id})
    assert loaded.status_code == 200 and loaded.json()["loaded"] is True, loaded.text
    return model_id


def test_health_and_docs_reach_the_backend(proxy: httpx.Client) -> None:
    assert proxy.get("/healthz").json() == {"status": "ok"}
    assert proxy.get("/readyz").status_code == 200
    assert proxy.get("/openapi.json").json()["info"]["title"]
    assert "swagger" in proxy.get("/docs").text.lower()


def test_metrics_stay_inside(proxy: httpx.Client, stack: Stack) -> None:
    assert proxy.get("/metrics").status_code == 404
    direct = httpx.get(f"http://127.0.0.1:{stack.backend_port}/metrics")
    assert direct.status_code == 200


def test_errors_stay_problem_json(proxy: httpx.Client) -> None:
    response = proxy.get("/api/v1/models/0123456789abcdef0123456789abcdef")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith(PROBLEM_JSON)


def test_security_headers_and_gzip(proxy: httpx.Client) -> None:
    response = proxy.get("/openapi.json", headers={"Accept-Encoding": "gzip"})
    assert response.headers["content-encoding"] == "gzip"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "SAMEORIGIN"
    assert "nginx/" not in response.headers.get("server", "")


def test_api_round_trip(proxy: httpx.Client, trained_model: str) -> None:
    texts = ["you are a stupid idiot", "thanks for the helpful edit"]
    body = {"model_id": trained_model, "texts": texts}
    response = proxy.post("/api/v1/models/predict", json=body)
    assert response.status_code == 200, response.text
    predictions = response.json()["predictions"]
    assert len(predictions) == 2
    assert all(0 <= p["confidence"] <= 1 for p in predictions)


def test_a_99_mb_upload_is_accepted(proxy: httpx.Client, big_dir: Path) -> None:
    path = repeat_csv(DEMO_CSV, big_dir / "upload-99mb.csv", 99 * MIB)
    response = _upload(proxy, path)
    assert response.status_code == 201, response.text
    assert response.json()["size_bytes"] == path.stat().st_size
    path.unlink()
    deleted = proxy.delete(f"/api/v1/datasets/{response.json()['id']}")
    assert deleted.status_code == 204, deleted.text


def test_a_101_mb_upload_gets_the_apps_413(proxy: httpx.Client, big_dir: Path) -> None:
    path = repeat_csv(DEMO_CSV, big_dir / "upload-101mb.csv", 101 * MIB)
    response = _upload(proxy, path)
    path.unlink()
    assert response.status_code == 413
    assert response.headers["content-type"].startswith(PROBLEM_JSON)
    assert response.json()["status"] == 413


def test_a_100_mb_csv_prediction_completes(
    proxy: httpx.Client, trained_model: str, big_dir: Path
) -> None:
    source = repeat_csv(DEMO_CSV, big_dir / "predict-100mb.csv", 100 * MIB)
    result = big_dir / "predicted.csv"
    with (
        source.open("rb") as handle,
        proxy.stream(
            "POST",
            "/api/v1/models/predict_csv",
            files={"file": (source.name, handle, "text/csv")},
            data={"model_id": trained_model},
        ) as response,
    ):
        assert response.status_code == 200, response.read()[:500]
        with result.open("wb") as out:
            for chunk in response.iter_bytes():
                out.write(chunk)
    with result.open(newline="", encoding="utf-8") as handle:
        header = next(csv.reader(handle))
    assert header[-6:] == ["Result", "Confidence", "P(0)", "P(1)", "Note", "Prediction id"]
    assert _csv_rows(result) == _csv_rows(source)
