"""API_TOKEN, CORS and body limits, on servers started with those settings."""

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from testkit.api import assert_problem
from testkit.servers import BackendServer

TOKEN = "s3cret-token-for-tests"


@pytest.fixture(scope="module")
def locked_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BackendServer]:
    server = BackendServer(
        root=Path(tmp_path_factory.mktemp("locked")),
        env={"API_TOKEN": TOKEN, "MAX_JSON_MB": "1", "CORS_ORIGINS": '["https://ui.example.org"]'},
    )
    server.env["API_TOKEN"] = TOKEN
    yield server.start()
    server.stop()


def test_every_api_route_needs_the_token(locked_server: BackendServer) -> None:
    client = httpx.Client(base_url=locked_server.base_url, timeout=30)
    routes = [
        ("GET", "/api/v1/models/"),
        ("GET", "/api/v1/datasets"),
        ("GET", "/api/v1/tasks/"),
        ("POST", "/api/v1/models/predict"),
        ("POST", "/api/v1/datasets"),
        ("DELETE", "/api/v1/models/remove_all"),
        ("POST", "/api/v1/models/predict_csv"),
    ]
    for method, path in routes:
        response = client.request(method, path)
        assert_problem(response, 401, "bearer")
        assert response.headers["www-authenticate"] == "Bearer"
        wrong = client.request(method, path, headers={"Authorization": "Bearer nope"})
        assert_problem(wrong, 401, "not valid")
    # a well-formed predict body is refused just the same
    body = {"model_id": "anything", "texts": ["hello"]}
    for headers in ({}, {"Authorization": "Bearer nope"}, {"Authorization": f"Basic {TOKEN}"}):
        response = client.post("/api/v1/models/predict", json=body, headers=headers)
        assert_problem(response, 401)
    leaked = client.get("/api/v1/models/").json()
    assert set(leaked) == {"type", "title", "status", "detail"}  # nothing but the problem


def test_the_token_opens_the_api_and_health_stays_open(locked_server: BackendServer) -> None:
    client = httpx.Client(
        base_url=locked_server.base_url, timeout=30, headers={"Authorization": f"Bearer {TOKEN}"}
    )
    models = client.get("/api/v1/models/").json()
    assert len(models) >= 2
    anonymous = httpx.Client(base_url=locked_server.base_url, timeout=30)
    for path in ("/healthz", "/readyz", "/metrics", "/openapi.json"):
        assert anonymous.get(path).status_code == 200, path


def test_json_body_limit(locked_server: BackendServer) -> None:
    client = httpx.Client(
        base_url=locked_server.base_url, timeout=30, headers={"Authorization": f"Bearer {TOKEN}"}
    )
    model_id = client.get("/api/v1/models/").json()[0]["id"]
    big = {"model_id": model_id, "texts": ["x" * 1000] * 1200}  # about 1.2 MB
    assert_problem(client.post("/api/v1/models/predict", json=big), 413, "1 MiB")
    small = {"model_id": model_id, "texts": ["hello"]}
    assert client.post("/api/v1/models/predict", json=small).status_code == 200


def test_cors_only_for_named_origins(locked_server: BackendServer) -> None:
    client = httpx.Client(base_url=locked_server.base_url, timeout=30)
    preflight = {"Access-Control-Request-Method": "POST"}
    allowed = client.options(
        "/api/v1/models/predict", headers={"Origin": "https://ui.example.org", **preflight}
    )
    assert allowed.headers.get("access-control-allow-origin") == "https://ui.example.org"
    other = client.options(
        "/api/v1/models/predict", headers={"Origin": "https://evil.example", **preflight}
    )
    assert "access-control-allow-origin" not in other.headers
    # a browser's predict (with Origin) gets the CORS header on its answer too
    client.headers["Authorization"] = f"Bearer {TOKEN}"
    model_id = client.get("/api/v1/models/").json()[0]["id"]
    client.post("/api/v1/models/load", json={"model_id": model_id}).raise_for_status()
    answer = client.post(
        "/api/v1/models/predict",
        json={"model_id": model_id, "texts": ["hello"]},
        headers={"Origin": "https://ui.example.org"},
    )
    assert answer.status_code == 200
    assert answer.headers.get("access-control-allow-origin") == "https://ui.example.org"


def test_cors_closed_by_default(client: httpx.Client) -> None:
    response = client.get("/api/v1/models/", headers={"Origin": "https://evil.example"})
    assert response.status_code == 200
    assert "access-control-allow-origin" not in response.headers
