"""Retrievers through the real API (uvicorn on loopback, SQLite and PostgreSQL registries,
embedded Qdrant Edge)."""

import os
import re
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from testkit.api import assert_problem, upload_csv, wait_task
from testkit.data import qa_sample
from testkit.samples import SLOW_RETRIEVER_PARAMS, slow_qa_csv
from testkit.servers import REPO_ROOT, BackendServer

QA_DEMO = REPO_ROOT / "demo_data" / "qa_demo.csv"
# duplicates and missing values on purpose: row 3 repeats row 1, row 4 has no question
SMALL_QA = (
    b"ctx,q,a\n"
    b"Cats sleep for most of the day.,How long do cats sleep?,most of the day\n"
    b"Paris is the capital of France.,What is the capital of France?,Paris\n"
    b"Cats sleep for most of the day.,How long do cats sleep?,most of the day\n"
    b"Water boils at 100 degrees Celsius at sea level.,,\n"
    b"Water boils at 100 degrees Celsius at sea level.,At what temperature does water boil?,100\n"
)


@pytest.fixture(scope="module")
def client(server: BackendServer) -> Iterator[httpx.Client]:
    """On each registry database in turn (the session's servers, `server`'s params)."""
    with httpx.Client(base_url=server.base_url, timeout=120) as c:
        yield c


@pytest.fixture(scope="module")
def sqlite_client(sqlite_server: BackendServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=sqlite_server.base_url, timeout=120) as c:
        yield c


@pytest.fixture(scope="module")
def default_retriever(client: httpx.Client) -> dict[str, Any]:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        found = [r for r in client.get("/api/v1/retrievers").json() if r["is_default"]]
        if found and found[0]["loaded"]:
            return found[0]
        time.sleep(0.2)
    raise TimeoutError("the default retriever was not loaded in 120 s")


@pytest.fixture(scope="module")
def small_dataset(client: httpx.Client) -> dict[str, Any]:
    response = upload_csv(client, SMALL_QA, "small_qa.csv")
    assert response.status_code in (200, 201), response.text
    return response.json()


def fit(client: httpx.Client, dataset_id: str, **body: Any) -> dict[str, Any]:
    request = {"name": "small", "dataset_id": dataset_id, **body}
    response = client.post("/api/v1/retrievers/fit", json=request)
    assert response.status_code == 202, response.text
    assert response.headers["Location"].endswith(response.json()["task_id"])
    task = wait_task(client, response.json()["task_id"])
    assert task["status"] == "succeeded", task
    assert task["kind"] == "retriever_fit" and task["progress"] == 1.0
    return client.get(f"/api/v1/retrievers/{response.json()['retriever_id']}").json()


def test_the_default_retriever_is_loaded_and_stays(
    client: httpx.Client, default_retriever: dict[str, Any]
) -> None:
    assert default_retriever["name"] == "qa-default" and default_retriever["status"] == "ready"
    assert default_retriever["params"]["analyzer"] == "both"
    assert default_retriever["dataset_name"] == "QA demo data"
    answer = client.post(
        f"/api/v1/retrievers/{default_retriever['id']}/find_context",
        json={"question": "Who climbed Mount Everest first?", "top_k": 3},
    )
    assert answer.status_code == 200, answer.text
    hits = answer.json()["results"][0]["hits"]
    assert len(hits) == 3 and "Everest" in hits[0]["context"]
    assert "Edmund Hillary and Tenzing Norgay" in hits[0]["answers"]
    assert hits[0]["score"] >= hits[1]["score"] >= hits[2]["score"]
    assert_problem(client.delete(f"/api/v1/retrievers/{default_retriever['id']}"), 409, "default")
    assert default_retriever["id"] in client.delete("/api/v1/retrievers").json()["kept"]


@pytest.mark.parametrize("path", ["/api/v1/retrievers", "/api/v1/retrievers/"])
def test_both_slash_forms_answer_without_a_redirect(
    client: httpx.Client, default_retriever: dict[str, Any], path: str
) -> None:
    listed = client.get(path)  # the client follows no redirect: a 307 fails here
    assert listed.status_code == 200, listed.status_code
    assert default_retriever["id"] in [r["id"] for r in listed.json()]
    removed = client.delete(path)
    assert removed.status_code == 200, removed.status_code
    assert default_retriever["id"] in removed.json()["kept"]


def test_qa_report_counts_missing_and_duplicates_per_column(
    client: httpx.Client, small_dataset: dict[str, Any]
) -> None:
    body = {"context_column": "ctx", "question_column": "q", "answer_column": "a"}
    report = client.post(f"/api/v1/retrievers/qa_report/{small_dataset['id']}", json=body)
    assert report.status_code == 200, report.text
    data = report.json()
    assert data["rows"] == 5 and data["contexts"] == 3 and data["questions"] == 4
    columns = {c["column"]: c for c in data["columns"]}
    assert columns["ctx"] == {"column": "ctx", "missing": 0, "duplicates": 2, "distinct": 3}
    assert columns["q"]["missing"] == 1 and columns["q"]["duplicates"] == 1
    assert columns["a"]["missing"] == 1
    missing = client.post(f"/api/v1/retrievers/qa_report/{small_dataset['id']}", json={})
    assert_problem(missing, 422, "context")  # the default column names are not in it


@pytest.mark.parametrize(
    "body",
    [
        {"kind": "tfidf", "params": {"analyzer": "word"}},
        {"kind": "tfidf", "params": {"analyzer": "char_wb"}},
        {"kind": "bm25"},
    ],
)
def test_fit_load_find_unload_remove(
    client: httpx.Client, small_dataset: dict[str, Any], body: dict[str, Any]
) -> None:
    columns = {"context_column": "ctx", "question_column": "q", "answer_column": "a"}
    retriever = fit(client, small_dataset["id"], **columns, **body)
    rid = retriever["id"]
    assert retriever["status"] == "ready" and retriever["contexts"] == 3
    assert retriever["kind"] == body["kind"] and retriever["dataset_id"] == small_dataset["id"]
    assert any(r["id"] == rid for r in client.get("/api/v1/retrievers").json())
    find = {"questions": ["capital of France?", "how long do cats sleep"], "top_k": 2}
    assert_problem(client.post(f"/api/v1/retrievers/{rid}/find_context", json=find), 409, "load")
    assert client.post(f"/api/v1/retrievers/{rid}/load").json()["loaded"] is True
    results = client.post(f"/api/v1/retrievers/{rid}/find_context", json=find).json()["results"]
    assert [r["hits"][0]["answers"] for r in results] == [["Paris"], ["most of the day"]]
    # a sparse search finds only contexts that share a term with the question
    assert all(1 <= len(r["hits"]) <= 2 for r in results)
    assert client.post(f"/api/v1/retrievers/{rid}/unload").json()["loaded"] is False
    assert client.delete(f"/api/v1/retrievers/{rid}").status_code == 204
    assert_problem(client.get(f"/api/v1/retrievers/{rid}"), 404)


def test_benchmark_and_quality_test(
    client: httpx.Client, default_retriever: dict[str, Any]
) -> None:
    rid = default_retriever["id"]
    dataset_id = default_retriever["dataset_id"]
    bench = client.post(
        f"/api/v1/retrievers/{rid}/benchmark", json={"dataset_id": dataset_id, "n_questions": 40}
    )
    assert bench.status_code == 200, bench.text
    data = bench.json()
    assert len(data["latencies_ms"]) == 40 and data["stats"]["n"] == 40
    assert 0 < data["stats"]["p50_ms"] <= data["stats"]["p99_ms"] <= data["stats"]["max_ms"]
    accepted = client.post(
        f"/api/v1/retrievers/{rid}/quality_test", json={"dataset_id": dataset_id}
    )
    assert accepted.status_code == 202, accepted.text
    task = wait_task(client, accepted.json()["task_id"])
    assert task["status"] == "succeeded" and task["kind"] == "retriever_quality", task
    quality = client.get(f"/api/v1/retrievers/{rid}/quality").json()
    assert quality["questions"] == 27 and quality["top5"] == 1.0
    assert quality["top1"] >= 0.9 and quality["mrr10"] >= quality["top1"]
    assert len(quality["failed"]) == round((1 - quality["top1"]) * 27)


def test_bad_input_is_a_clear_problem(
    client: httpx.Client, default_retriever: dict[str, Any], small_dataset: dict[str, Any]
) -> None:
    rid = default_retriever["id"]
    url = f"/api/v1/retrievers/{rid}/find_context"
    both = assert_problem(
        client.post(url, json={"question": "a", "questions": ["b"]}), 422, "either"
    )
    assert both["title"] == "Invalid request" and both["errors"][0]["loc"] == []
    assert_problem(client.post(url, json={}), 422, "either")
    assert_problem(client.post(url, json={"question": "  "}), 422, "empty")
    assert_problem(client.post(url, json={"question": "a", "top_k": 0}), 422)
    missing = {"name": "x", "dataset_id": small_dataset["id"]}  # no column "context"
    assert_problem(client.post("/api/v1/retrievers/fit", json=missing), 422, "context")
    unknown = {"name": "x", "dataset_id": "nope"}
    assert_problem(client.post("/api/v1/retrievers/fit", json=unknown), 404)
    # one column as both contexts and questions (ids, say) would score a meaningless 0.000
    same = {"dataset_id": small_dataset["id"], "context_column": "id", "question_column": "id"}
    assert_problem(
        client.post(f"/api/v1/retrievers/{rid}/quality_test", json=same),
        422,
        "must be different columns",
    )
    assert_problem(client.post("/api/v1/retrievers/nope/load"), 404)
    assert_problem(client.post("/api/v1/retrievers/nope/find_context", json={"question": "a"}), 404)


@pytest.mark.shared_data
def test_default_kind_on_qa_sample_meets_the_targets(sqlite_client: httpx.Client) -> None:
    """Quality and speed do not depend on the registry's database: SQLite only."""
    client = sqlite_client
    path = qa_sample()
    if path is None:
        pytest.skip("../shared/data/qa_sample.csv is absent")
    dataset = upload_csv(client, path, "qa_sample.csv").json()
    retriever = fit(client, dataset["id"], name="qa-sample")
    rid = retriever["id"]
    assert retriever["contexts"] == 480
    client.post(f"/api/v1/retrievers/{rid}/load").raise_for_status()
    started = time.monotonic()
    accepted = client.post(
        f"/api/v1/retrievers/{rid}/quality_test", json={"dataset_id": dataset["id"]}
    )
    task = wait_task(client, accepted.json()["task_id"], interval=0.05)
    elapsed = time.monotonic() - started
    assert task["status"] == "succeeded", task
    quality = client.get(f"/api/v1/retrievers/{rid}/quality").json()
    assert quality["questions"] == 2380
    assert quality["top1"] >= 0.90 and quality["top5"] >= 0.98, quality
    assert elapsed <= 10.0
    client.delete(f"/api/v1/retrievers/{rid}").raise_for_status()


def test_a_running_fit_can_be_cancelled(
    client: httpx.Client, server: BackendServer, small_dataset: dict[str, Any]
) -> None:
    """Cancel ends the task and the retriever `cancelled` within seconds, stops the worker,
    and leaves no folder, shard or lock behind; the same name then fits again."""
    dataset = upload_csv(client, slow_qa_csv(), "slow_qa.csv").json()
    response = client.post(
        "/api/v1/retrievers/fit",
        json={"name": "to-cancel", "dataset_id": dataset["id"], "params": SLOW_RETRIEVER_PARAMS},
    )
    assert response.status_code == 202, response.text
    task_id, retriever_id = response.json()["task_id"], response.json()["retriever_id"]
    deadline = time.monotonic() + 60
    while client.get(f"/api/v1/tasks/{task_id}").json()["status"] == "queued":
        assert time.monotonic() < deadline, "the fit never started"
        time.sleep(0.1)
    time.sleep(1.0)
    pids = re.findall(rf"task {task_id} running in process (\d+)", server.output())
    assert pids, "the server logs which process runs a task"

    started = time.monotonic()
    cancelled = client.post(f"/api/v1/tasks/{task_id}/cancel")
    assert cancelled.status_code == 202, cancelled.text
    assert cancelled.json()["status"] == "cancelled"
    assert time.monotonic() - started < 5
    retriever = client.get(f"/api/v1/retrievers/{retriever_id}").json()
    assert retriever["status"] == "cancelled" and "cancel" in retriever["error"]
    assert not (server.retrievers_dir / retriever_id).exists()
    assert not (server.retrievers_dir / f".{retriever_id}.lock").exists()
    with pytest.raises(ProcessLookupError):
        os.kill(int(pids[0]), 0)  # the worker process is gone
    assert_problem(client.post(f"/api/v1/tasks/{task_id}/cancel"), 409, "finished")
    assert_problem(client.post(f"/api/v1/retrievers/{retriever_id}/load"), 409, "cancelled")

    columns = {"context_column": "ctx", "question_column": "q", "answer_column": "a"}
    again = fit(client, small_dataset["id"], name="to-cancel", **columns)
    assert again["status"] == "ready" and again["version"] == retriever["version"] + 1
    assert (server.retrievers_dir / again["id"]).is_dir()
    removed = client.delete(f"/api/v1/retrievers/{retriever_id}")
    assert removed.status_code == 204, removed.text
    client.delete(f"/api/v1/retrievers/{again['id']}")
