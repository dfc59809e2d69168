"""A real Dask cluster on loopback (a scheduler and two workers of the project's venv) and
a backend on PostgreSQL whose fits and retriever fits run on it (TASK_EXECUTOR=dask).

Package-scoped (this folder has an `__init__.py` for that, else pytest would keep them to
the end of the session): the test files here share one cluster and one backend, started
once (a minute or two on a busy machine). A test that kills a worker leaves the cluster
whole: the worker's nanny starts it again (`DaskCluster.wait_for_workers`). `server` and
`client` here are that backend, not the SQLite/PostgreSQL pair of backend/tests/conftest.py."""

from collections.abc import Iterator

import httpx
import pytest

from testkit.dask import DaskCluster, dask_cluster, serving_on_dask
from testkit.databases import fresh_postgres_database, postgres_unavailable_reason
from testkit.servers import BackendServer


@pytest.fixture(scope="package")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DaskCluster]:
    with dask_cluster(tmp_path_factory.mktemp("dask"), workers=2) as running:
        yield running


@pytest.fixture(scope="package")
def server(
    cluster: DaskCluster, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[BackendServer]:
    reason = postgres_unavailable_reason()
    if reason:
        pytest.skip(reason)
    with (
        fresh_postgres_database() as url,
        serving_on_dask(tmp_path_factory.mktemp("dask-backend"), cluster.address, url) as running,
    ):
        yield running


@pytest.fixture(scope="package")
def client(server: BackendServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.base_url, timeout=60) as c:
        yield c
