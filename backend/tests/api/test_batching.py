"""/predict through the real server with the fast lane, micro-batching and the prediction
process on (the defaults), against a server with all three off (the framework's plain
route, one request at a time): the same answers whatever the concurrency, and the same
errors, byte for byte."""

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
    env = {"PREDICT_BATCHING": "false", "PREDICT_FAST_PATH": "false", "MAX_PREDICT_TEXTS": "500"}
    server = BackendServer(root=root, env=env)
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


ODD_BODIES: list[object] = [
    {"model_id": "nosuchmodel", "texts": ["a"]},  # 404
    {"model_id": "nosuchmodel", "texts": []},  # 422: no texts
    {"model_id": "nosuchmodel", "texts": ["a"], "extra": 1},  # 422: unknown field
    {"model_id": "", "texts": ["a"]},  # 422
    {"model_id": "nosuchmodel", "texts": "a"},  # 422: not a list
    {"model_id": "nosuchmodel", "texts": [1, None]},  # 422
    {"texts": ["a"]},  # 422: no model
    [],  # 422: not an object
]


def test_the_fast_lane_answers_errors_exactly_like_the_route(
    sqlite_server: BackendServer, unbatched: httpx.Client
) -> None:
    with httpx.Client(base_url=sqlite_server.base_url, timeout=60) as fast:
        for body in ODD_BODIES:
            ours, plain = fast.post(PREDICT, json=body), unbatched.post(PREDICT, json=body)
            assert ours.status_code == plain.status_code >= 400, body
            assert ours.headers["content-type"] == plain.headers["content-type"], body
            assert ours.json() == plain.json(), body
        for raw in (b"{not json", b""):
            headers = {"Content-Type": "application/json"}
            ours = fast.post(PREDICT, content=raw, headers=headers)
            plain = unbatched.post(PREDICT, content=raw, headers=headers)
            assert ours.status_code == plain.status_code == 422
            assert ours.json() == plain.json()
        too_many = {"model_id": default_logreg(fast), "texts": ["a"] * 501}  # over 500
        assert_problem(fast.post(PREDICT, json=too_many), 422, "the limit is 500")


def test_the_fast_lane_counts_and_logs_under_the_route(sqlite_server: BackendServer) -> None:
    with httpx.Client(base_url=sqlite_server.base_url, timeout=60) as fast:
        model_id = default_logreg(fast)
        label = 'route="/api/v1/models/predict",status="200"'

        def served() -> float:
            lines = fast.get("/metrics").text.splitlines()
            hits = [x for x in lines if x.startswith("textclf_http_requests_total") and label in x]
            return float(hits[0].rsplit(" ", 1)[1]) if hits else 0.0

        before = served()
        for _ in range(3):
            response = fast.post(PREDICT, json={"model_id": model_id, "texts": ["hello there"]})
            assert response.status_code == 200
            assert response.headers["content-type"] == "application/json"
        assert served() == before + 3
