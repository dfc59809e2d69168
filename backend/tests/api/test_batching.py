"""/predict through the real server with micro-batching on (the default) and off: the same
answers whatever the concurrency, and the same errors."""

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from testkit.api import assert_problem
from testkit.samples import NEGATIVE, POSITIVE
from testkit.servers import BackendServer

PREDICT = "/api/v1/models/predict"
REQUESTS = [
    [f"{POSITIVE[i % 6]} {i}"] if i % 3 else [NEGATIVE[i % 6], POSITIVE[i % 5], f"text {i}"]
    for i in range(60)
]


@pytest.fixture(scope="module")
def unbatched(tmp_path_factory: pytest.TempPathFactory) -> Iterator[httpx.Client]:
    root: Path = tmp_path_factory.mktemp("unbatched-backend")
    server = BackendServer(root=root, env={"PREDICT_BATCHING": "false"})
    server.start()
    try:
        with httpx.Client(base_url=server.base_url, timeout=60) as client:
            yield client
    finally:
        server.stop()


def default_logreg(client: httpx.Client) -> str:
    models = client.get("/api/v1/models/").json()
    return next(m["id"] for m in models if m["is_default"] and m["kind"] == "logreg")


def predict_concurrently(client: httpx.Client, model_id: str) -> list[dict]:
    def one(texts: list[str]) -> dict:
        response = client.post(PREDICT, json={"model_id": model_id, "texts": texts})
        assert response.status_code == 200, response.text
        return response.json()

    with ThreadPoolExecutor(max_workers=16) as pool:
        return list(pool.map(one, REQUESTS))


def test_concurrent_requests_get_their_own_answers(client: httpx.Client) -> None:
    model_id = default_logreg(client)
    alone = [
        client.post(PREDICT, json={"model_id": model_id, "texts": texts}).json()
        for texts in REQUESTS
    ]
    assert predict_concurrently(client, model_id) == alone
    assert all(len(a["predictions"]) == len(t) for a, t in zip(alone, REQUESTS, strict=True))


def test_batching_off_gives_the_same_answers(client: httpx.Client, unbatched: httpx.Client) -> None:
    # both servers trained their default logreg from the same demo CSV with the same seed
    batched = predict_concurrently(client, default_logreg(client))
    plain = predict_concurrently(unbatched, default_logreg(unbatched))
    assert [r["predictions"] for r in batched] == [r["predictions"] for r in plain]


def test_batching_off_keeps_the_errors(unbatched: httpx.Client) -> None:
    model_id = default_logreg(unbatched)
    body = {"model_id": "nosuchmodel", "texts": ["a"]}
    assert_problem(unbatched.post(PREDICT, json=body), 404)
    assert_problem(unbatched.post(PREDICT, json={"model_id": model_id, "texts": []}), 422)
    unbatched.post("/api/v1/models/unload", json={"model_id": model_id}).raise_for_status()
    try:
        body = {"model_id": model_id, "texts": ["a"]}
        assert_problem(unbatched.post(PREDICT, json=body), 409, "not loaded")
    finally:
        unbatched.post("/api/v1/models/load", json={"model_id": model_id}).raise_for_status()
