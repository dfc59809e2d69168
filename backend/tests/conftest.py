"""Real backends for the API tests (one on SQLite and one on PostgreSQL per session), and
fresh registries on both for the tests that use a store directly."""

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine

from app.core.db import make_engine
from app.registry.sql import SqlRegistry
from testkit.databases import fresh_postgres_database, postgres_unavailable_reason
from testkit.servers import BackendServer, serving

# Small limits so the limit tests stay fast.
TEST_ENV = {"MAX_UPLOAD_MB": "60", "MAX_PREDICT_TEXTS": "500"}


def _serve(root: Path, database_url: str | None = None) -> Iterator[BackendServer]:
    with serving(BackendServer(root=root, database_url=database_url, env=dict(TEST_ENV))) as s:
        yield s


@pytest.fixture(scope="session")
def sqlite_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BackendServer]:
    yield from _serve(tmp_path_factory.mktemp("sqlite-backend"))


@pytest.fixture(scope="session")
def postgres_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BackendServer]:
    reason = postgres_unavailable_reason()
    if reason:
        pytest.skip(reason)
    with fresh_postgres_database() as url:
        yield from _serve(tmp_path_factory.mktemp("postgres-backend"), url)


@pytest.fixture(scope="session", params=["sqlite", "postgres"])
def server(request: pytest.FixtureRequest) -> BackendServer:
    return request.getfixturevalue(f"{request.param}_server")


@pytest.fixture(scope="session")
def client(server: BackendServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.base_url, timeout=120) as c:
        yield c


@pytest.fixture(scope="session")
def demo_dataset(server: BackendServer) -> dict:
    """The demo CSV as a stored dataset (the server registered it at start-up)."""
    from testkit.api import upload_csv
    from testkit.data import DEMO_CSV

    with httpx.Client(base_url=server.base_url, timeout=60) as c:
        response = upload_csv(c, DEMO_CSV, "demo_data_sample.csv")
        assert response.status_code in (200, 201), response.text
        return response.json()


@pytest.fixture(params=["sqlite", "postgres"])
def registry(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SqlRegistry]:
    """A fresh registry on SQLite, and one on PostgreSQL (skipped when none answers)."""
    if request.param == "sqlite":
        store = SqlRegistry(f"sqlite:///{tmp_path / 'registry.db'}")
        yield store
        store.close()
        return
    reason = postgres_unavailable_reason()
    if reason:
        pytest.skip(reason)
    with fresh_postgres_database() as url:
        store = SqlRegistry(url)
        yield store
        store.close()


@pytest.fixture(scope="module")
def engine(server: BackendServer) -> Iterator[Engine]:
    """The session server's registry database, read directly (the prediction log's rows)."""
    engine = make_engine(server.database_url or f"sqlite:///{server.root / 'registry.db'}")
    yield engine
    engine.dispose()
