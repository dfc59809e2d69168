"""Feedback through the real API, for the feedback tests: a backend of their own (SQLite or
PostgreSQL) whose prediction log writes only once a minute, two loaded models to send
feedback about, and the calls they make (predict, a feedback CSV, the list)."""

from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest

from testkit.databases import fresh_postgres_database, postgres_unavailable_reason
from testkit.servers import BackendServer, serving
from testkit.versions import trained_versions, unique_name

API = "/api/v1"
PREDICT = f"{API}/models/predict"
ENV = {
    "DEFAULT_MODELS": "false",
    "TRAINING_WORKERS": "1",
    # no batch is written during a test: only the flush can find what was just answered
    "PREDICTION_LOG_INTERVAL_MS": "60000",
}


def feedback_client(database: str, root: Path) -> Iterator[httpx.Client]:
    """A client of a backend of its own on `database` ("sqlite" or "postgres"; a test
    without a PostgreSQL server is skipped), for a module-scoped fixture to yield from."""
    if database == "sqlite":
        yield from _client(BackendServer(root=root, env=dict(ENV)))
        return
    reason = postgres_unavailable_reason()
    if reason:
        pytest.skip(reason)
    with fresh_postgres_database() as database_url:
        yield from _client(BackendServer(root=root, env=dict(ENV), database_url=database_url))


def _client(server: BackendServer) -> Iterator[httpx.Client]:
    with serving(server) as served, httpx.Client(base_url=served.base_url, timeout=120) as c:
        yield c


def loaded_names(client: httpx.Client) -> dict[str, str]:
    """Two names, one version each (binary, labels 0 and 1), loaded."""
    found = {}
    for key in ("main", "other"):
        name = unique_name(f"fb-{key}")
        (model_id,) = trained_versions(client, name, 1)
        loaded = client.post(f"{API}/models/load", json={"model_id": model_id})
        assert loaded.status_code == 200, loaded.text
        found[key], found[f"{key}_id"] = name, model_id
    return found


def url(ref: str, tail: str = "") -> str:
    return f"{API}/models/{quote(ref, safe='@:')}/feedback{tail}"


def predict(client: httpx.Client, ref: str, texts: list[str], **body: Any) -> list[str]:
    response = client.post(PREDICT, json={"model_id": ref, "texts": texts, **body})
    assert response.status_code == 200, response.text
    return [p["prediction_id"] for p in response.json()["predictions"]]


def import_csv(client: httpx.Client, ref: str, content: str, **fields: str) -> httpx.Response:
    files = {"file": ("fb.csv", content.encode(), "text/csv")}
    return client.post(url(ref, "/csv"), files=files, data=fields)


def listed(client: httpx.Client, ref: str) -> list[dict[str, Any]]:
    response = client.get(url(ref), params={"limit": 1000})
    assert response.status_code == 200, response.text
    return list(response.json())
