"""A retriever across two API replicas (two real uvicorn processes, one PostgreSQL registry,
one RETRIEVERS_DIR) with the embedded Qdrant Edge storage, where one process at a time
holds a shard: a query opens a retriever marked loaded on demand, a shard held by the
other replica is a 409 naming QDRANT_URL, and an unload or a removal through either
replica makes the one that holds it let go within 2 s."""

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from testkit.api import assert_problem, upload_csv, wait_task
from testkit.databases import fresh_postgres_database, postgres_unavailable_reason
from testkit.replicas import replica_server, within
from testkit.servers import BackendServer

pytestmark = pytest.mark.postgres

CONVERGE_S = 2.0
QA = (
    b"ctx,q,a\n"
    b"Cats sleep for most of the day.,How long do cats sleep?,most of the day\n"
    b"Paris is the capital of France.,What is the capital of France?,Paris\n"
    b"Water boils at 100 degrees Celsius at sea level.,At what temperature does water boil?,100\n"
)
FIND = {"question": "What is the capital of France?", "top_k": 1}


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[BackendServer, BackendServer]]:
    reason = postgres_unavailable_reason()
    if reason:
        pytest.skip(reason)
    root = tmp_path_factory.mktemp("replica-retrievers")
    env = {"DEFAULT_MODELS": "false", "TRAINING_WORKERS": "1"}
    with fresh_postgres_database() as url:
        a, b = (
            replica_server(root, root / "shared", url, n, env) for n in ("replica-a", "replica-b")
        )
        try:
            a.start()
            b.start()
            yield a, b
        finally:
            a.stop()
            b.stop()


def _fitted(server: BackendServer) -> str:
    with httpx.Client(base_url=server.base_url, timeout=120) as client:
        dataset = upload_csv(client, QA, "qa.csv").json()
        body = {"name": "shared-faq", "dataset_id": dataset["id"]}
        body |= {"context_column": "ctx", "question_column": "q", "answer_column": "a"}
        response = client.post("/api/v1/retrievers/fit", json=body)
        assert response.status_code == 202, response.text
        task = wait_task(client, response.json()["task_id"])
        assert task["status"] == "succeeded", task
        return str(response.json()["retriever_id"])


def _post(server: BackendServer, rid: str, action: str) -> httpx.Response:
    return httpx.post(f"{server.base_url}/api/v1/retrievers/{rid}/{action}", timeout=30)


def _find(server: BackendServer, rid: str) -> httpx.Response:
    url = f"{server.base_url}/api/v1/retrievers/{rid}/find_context"
    return httpx.post(url, json=FIND, timeout=30)


def _best(response: httpx.Response) -> Any:
    assert response.status_code == 200, response.text
    return response.json()["results"][0]["hits"][0]["answers"]


def test_one_replica_at_a_time_serves_an_embedded_retriever(
    pair: tuple[BackendServer, BackendServer],
) -> None:
    a, b = pair
    rid = _fitted(a)
    assert_problem(_find(b, rid), 409, "load it first")  # loaded nowhere

    assert _post(a, rid, "load").json()["loaded"] is True
    assert _best(_find(a, rid)) == ["Paris"]
    assert_problem(_find(b, rid), 409, "QDRANT_URL")  # A holds the shard: not "load it first"
    assert_problem(_post(b, rid, "load"), 409, "QDRANT_URL")

    # A stops: its shard is free and the registry still says loaded, so B's query opens it
    a.stop()
    on_b = _find(b, rid)
    assert _best(on_b) == ["Paris"] and on_b.headers["x-replica"] == "replica-b"
    assert f"retriever {rid} (shared-faq v1) opened on demand" in b.output()
    a.start()  # its start-up finds the shard held by B: the flag stays, B serves it
    assert_problem(_find(a, rid), 409, "QDRANT_URL")

    # unloaded through A, which does not hold it: B lets go, and then A's load succeeds
    assert _post(a, rid, "unload").json()["loaded"] is False
    took = within(CONVERGE_S, lambda: _post(a, rid, "load").status_code == 200)
    assert took is not None, "B did not let go of the retriever within 2 s"
    assert f"retriever {rid} let go: it is no longer loaded in the registry" in b.output()
    assert _best(_find(a, rid)) == ["Paris"]
    assert_problem(_find(b, rid), 409, "QDRANT_URL")

    # removed through B while A holds it: A lets go, its query then finds no retriever
    assert httpx.delete(f"{b.base_url}/api/v1/retrievers/{rid}", timeout=30).status_code == 204
    let_go = f"retriever {rid} let go"
    removed = within(CONVERGE_S, lambda: let_go in a.output())
    assert removed is not None, "A did not let go of the removed retriever within 2 s"
    assert_problem(_find(a, rid), 404)
    print(
        f"B let go after the unload, A loaded: {took:.2f}s; A let go after removal: {removed:.2f}s"
    )
