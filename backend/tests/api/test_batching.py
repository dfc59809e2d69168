"""/predict through a real server, served the one way there is: the route, micro-batching
and the prediction process. Concurrent requests get the model's own answers; bad requests
get the route's problem+json; the operation is documented and counted under its route."""

from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from app.ml.artifacts import load_bundle, sha256_file
from app.ml.bundle import TrainedModel
from testkit.api import assert_problem
from testkit.samples import NEGATIVE, POSITIVE
from testkit.servers import BackendServer

PREDICT = "/api/v1/models/predict"
REQUESTS = [
    [f"{POSITIVE[i % 6]} {i}"] if i % 3 else [NEGATIVE[i % 6], POSITIVE[i % 5], f"text {i}"]
    for i in range(60)
]


def default_logreg(client: httpx.Client) -> str:
    models = client.get("/api/v1/models/", params={"limit": 1000}).json()
    return next(m["id"] for m in models if m["is_default"] and m["kind"] == "logreg")


def predict_concurrently(client: httpx.Client, model_id: str) -> list[dict]:
    def one(texts: list[str]) -> dict:
        response = client.post(PREDICT, json={"model_id": model_id, "texts": texts})
        assert response.status_code == 200, response.text
        return response.json()

    with ThreadPoolExecutor(max_workers=16) as pool:
        return list(pool.map(one, REQUESTS))


def served_bundle(server: BackendServer, client: httpx.Client, model_id: str) -> TrainedModel:
    """The bundle the server predicts with, loaded into the test process."""
    sha = client.get(f"/api/v1/models/{model_id}").json()["artifact_sha256"]
    path = next(p for p in server.models_dir.glob("*.zip") if sha256_file(p) == sha)
    return load_bundle(path, expected_sha256=sha)


def _without_ids(answers: list[dict]) -> list[dict]:
    return [
        {**a, "predictions": [{**p, "prediction_id": None} for p in a["predictions"]]}
        for a in answers
    ]


def test_concurrent_requests_get_their_own_answers(client: httpx.Client) -> None:
    model_id = default_logreg(client)
    alone = [
        client.post(PREDICT, json={"model_id": model_id, "texts": texts}).json()
        for texts in REQUESTS
    ]
    # the same answers, each with its own id in the prediction log
    assert _without_ids(predict_concurrently(client, model_id)) == _without_ids(alone)
    assert all(len(a["predictions"]) == len(t) for a, t in zip(alone, REQUESTS, strict=True))


def test_batched_answers_are_the_models_own(sqlite_server: BackendServer) -> None:
    with httpx.Client(base_url=sqlite_server.base_url, timeout=60) as client:
        model_id = default_logreg(client)
        answers = predict_concurrently(client, model_id)
        model = served_bundle(sqlite_server, client, model_id)
    for texts, answer in zip(REQUESTS, answers, strict=True):
        own = model.predict(texts)
        pairs = zip(own.labels, own.confidences, own.probabilities, strict=True)
        expected = [
            {"label": label, "confidence": round(c, 6), "probabilities": p} for label, c, p in pairs
        ]
        got = [
            {
                "label": a["label"],
                "confidence": a["confidence"],
                "probabilities": [c["probability"] for c in a["probabilities"]],
            }
            for a in answer["predictions"]
        ]
        assert answer["model_id"] == model_id and got == expected


BAD_BODIES: list[tuple[object, int, list[tuple]]] = [
    ({"model_id": "nosuchmodel", "texts": ["a"]}, 404, []),
    ({"model_id": "nosuchmodel", "texts": []}, 422, [("texts",)]),
    ({"model_id": "nosuchmodel", "texts": ["a"], "extra": 1}, 422, [("extra",)]),
    ({"model_id": "", "texts": ["a"]}, 422, [("model_id",)]),
    ({"model_id": "nosuchmodel", "texts": "a"}, 422, [("texts",)]),
    ({"model_id": "nosuchmodel", "texts": [1, None]}, 422, [("texts", 0), ("texts", 1)]),
    ({"texts": ["a"]}, 422, [("model_id",)]),
    ([], 422, [()]),
]


@pytest.mark.parametrize(("body", "status", "locations"), BAD_BODIES)
def test_bad_requests_are_problems_with_their_fields(
    client: httpx.Client, body: object, status: int, locations: list[tuple]
) -> None:
    problem = assert_problem(client.post(PREDICT, json=body), status)
    assert [tuple(e["loc"]) for e in problem.get("errors", [])] == locations


@pytest.mark.parametrize(
    ("content", "content_type"),
    [(b"{not json", "application/json"), (b"", "application/json"), (b"[]", None)],
)
def test_bodies_that_are_not_json_objects(
    client: httpx.Client, content: bytes, content_type: str | None
) -> None:
    headers = {"Content-Type": content_type} if content_type else {}
    assert_problem(client.post(PREDICT, content=content, headers=headers), 422)


def test_a_json_body_needs_a_json_content_type(client: httpx.Client) -> None:
    body = f'{{"model_id": "{default_logreg(client)}", "texts": ["hello"]}}'.encode()
    for content_type in ("text/plain", "application/x-www-form-urlencoded"):
        response = client.post(PREDICT, content=body, headers={"Content-Type": content_type})
        assert_problem(response, 422, "application/json")
    for content_type in ("application/json", "application/json; charset=utf-8"):
        response = client.post(PREDICT, content=body, headers={"Content-Type": content_type})
        assert response.status_code == 200, response.text


def test_too_many_texts(client: httpx.Client) -> None:
    too_many = {"model_id": default_logreg(client), "texts": ["a"] * 501}  # over 500
    assert_problem(client.post(PREDICT, json=too_many), 422, "the limit is 500")


def test_predict_is_documented_like_every_route(client: httpx.Client) -> None:
    document = client.get("/openapi.json").json()
    operation = document["paths"][PREDICT]["post"]
    body = operation["requestBody"]["content"]["application/json"]["schema"]
    assert body["required"] == ["model_id", "texts"]
    assert body["additionalProperties"] is False
    answer = operation["responses"]["200"]["content"]["application/json"]["schema"]
    assert answer == {"$ref": "#/components/schemas/PredictResponse"}
    assert "default" in operation["responses"]  # problem+json
    others = document["paths"]["/api/v1/models/load"]["post"]
    assert operation["security"] == others["security"]  # the same bearer token


def test_predict_is_counted_and_logged_under_its_route(sqlite_server: BackendServer) -> None:
    with httpx.Client(base_url=sqlite_server.base_url, timeout=60) as client:
        model_id = default_logreg(client)
        label = 'route="/api/v1/models/predict",status="200"'

        def served() -> float:
            lines = client.get("/metrics").text.splitlines()
            hits = [x for x in lines if x.startswith("textclf_http_requests_total") and label in x]
            return float(hits[0].rsplit(" ", 1)[1]) if hits else 0.0

        before = served()
        for _ in range(3):
            response = client.post(PREDICT, json={"model_id": model_id, "texts": ["hello there"]})
            assert response.status_code == 200
            assert response.headers["content-type"] == "application/json"
        assert served() == before + 3
