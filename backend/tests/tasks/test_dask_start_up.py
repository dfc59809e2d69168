"""TASK_EXECUTOR=dask with a scheduler that starts after the API (compose's health-check
order is not kept everywhere): the default models and retriever wait for it, `/readyz`
says what they wait for, nothing is queued meanwhile, and once it answers they are fitted
on it as version 1, with no failed fit left behind."""

import time
from pathlib import Path

import httpx
import pytest

from app.services.default_retriever import DEFAULT_RETRIEVER
from app.services.defaults import DEFAULT_MODELS
from testkit.dask import dask_cluster
from testkit.databases import fresh_postgres_database, postgres_unavailable_reason
from testkit.servers import BackendServer, free_port

pytestmark = pytest.mark.dask

READY_TIMEOUT_S = 600  # the demo fits on a busy machine


def _readyz(client: httpx.Client) -> tuple[int, str]:
    answer = client.get("/readyz")
    return answer.status_code, answer.json().get("detail", "")


def test_the_defaults_wait_for_a_scheduler_that_starts_after_the_api(tmp_path: Path) -> None:
    reason = postgres_unavailable_reason()
    if reason:
        pytest.skip(reason)
    port = free_port()
    address = f"tcp://127.0.0.1:{port}"
    with fresh_postgres_database() as url:
        env = {"TASK_EXECUTOR": "dask", "DASK_SCHEDULER_ADDRESS": address}
        backend = BackendServer(root=tmp_path / "backend", database_url=url, env=env)
        try:
            backend.start(wait_ready=False)
            with httpx.Client(base_url=backend.base_url, timeout=60) as client:
                deadline = time.monotonic() + 120
                status, detail = _readyz(client)
                while "waiting" not in detail:
                    assert status == 503 and "failed" not in detail, detail
                    assert time.monotonic() < deadline, f"not waiting after 120 s: {detail}"
                    time.sleep(0.5)
                    status, detail = _readyz(client)
                assert status == 503 and address in detail and "cannot be reached" in detail
                assert client.get("/api/v1/tasks/").json() == []  # nothing queued to fail

                with dask_cluster(tmp_path / "dask", port=port):
                    deadline = time.monotonic() + READY_TIMEOUT_S
                    while _readyz(client)[0] != 200:
                        assert time.monotonic() < deadline, _readyz(client)
                        time.sleep(1)
                    models = client.get("/api/v1/models/").json()
                    retrievers = client.get("/api/v1/retrievers").json()
                    tasks = client.get("/api/v1/tasks/").json()
        except Exception:
            print(backend.output()[-5000:])
            raise
        finally:
            backend.stop()

    assert sorted((m["name"], m["version"], m["status"]) for m in models) == sorted(
        (name, 1, "ready") for name, _, _ in DEFAULT_MODELS
    )
    assert all(m["loaded"] for m in models), models
    assert [(r["name"], r["version"]) for r in retrievers] == [(DEFAULT_RETRIEVER, 1)]
    assert {t["status"] for t in tasks} == {"succeeded"}, tasks
    assert all(t["worker"].startswith("dask tcp://127.0.0.1:") for t in tasks), tasks
