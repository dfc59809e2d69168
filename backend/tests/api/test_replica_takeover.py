"""A replica that dies mid-fit (kill -9: no shutdown code runs) under a name that never
comes back, as a container recreated by `docker compose up -d`: another replica over the
same PostgreSQL registry finds it stopped beating and fails its task and model with why,
within the stale bound, and leaves a live replica's task running; a replica that stops
cleanly removes its heartbeat."""

import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from app.core.db import make_engine
from app.registry.replicas import SqlReplicas
from app.tasks import ownership
from testkit.api import fit, upload_csv, wait_running
from testkit.databases import fresh_postgres_database, postgres_unavailable_reason
from testkit.replicas import assert_gone_soon, replica_server, within
from testkit.samples import SLOW_PARAMS, slow_csv
from testkit.servers import BackendServer

pytestmark = pytest.mark.postgres

HEARTBEAT_S = 0.5
STALE_S = 3.0  # six heartbeats: a busy machine may delay one or two
FAST_HEARTBEATS = {
    "DEFAULT_MODELS": "false",
    "TRAINING_WORKERS": "1",
    "REPLICA_HEARTBEAT_SECONDS": str(HEARTBEAT_S),
    "REPLICA_STALE_SECONDS": str(STALE_S),
}


@dataclass
class Replicas:
    a: BackendServer
    b: BackendServer
    database_url: str


@pytest.fixture
def replicas(tmp_path: Path) -> Iterator[Replicas]:
    reason = postgres_unavailable_reason()
    if reason:
        pytest.skip(reason)
    shared = tmp_path / "shared"
    with fresh_postgres_database() as url:
        a, b = (
            replica_server(tmp_path, shared, url, name, env=FAST_HEARTBEATS)
            for name in ("replica-a", "replica-b")
        )
        try:
            with ThreadPoolExecutor(2) as starting:  # at once: each start takes seconds
                for started in [starting.submit(server.start) for server in (a, b)]:
                    started.result()
            yield Replicas(a, b, url)
        except BaseException:
            print(a.output()[-4000:], b.output()[-4000:])
            raise
        finally:
            a.stop(kill=True)
            b.stop()


def test_a_replica_killed_mid_fit_has_its_task_failed_by_another(
    replicas: Replicas, tmp_path: Path
) -> None:
    a, b = replicas.a, replicas.b
    with (
        httpx.Client(base_url=a.base_url, timeout=60) as on_a,
        httpx.Client(base_url=b.base_url, timeout=60) as on_b,
    ):
        dataset = upload_csv(on_a, slow_csv(), "slow.csv").json()
        dying = fit(on_a, dataset["id"], name="dies-with-a", params=SLOW_PARAMS)
        living = fit(on_b, dataset["id"], name="lives-on-b", params=SLOW_PARAMS)
        wait_running(on_a, dying["task_id"])
        wait_running(on_b, living["task_id"])

        # while A beats, B leaves its fit alone, however long it runs
        time.sleep(STALE_S + 1)
        assert on_b.get(f"/api/v1/tasks/{dying['task_id']}").json()["status"] == "running"

        a.stop(kill=True)
        killed_at = time.monotonic()

        def failed() -> bool:
            return on_b.get(f"/api/v1/tasks/{dying['task_id']}").json()["status"] == "failed"

        took = within(STALE_S + 10, failed)
        assert took is not None, f"B left A's task running:\n{b.output()[-3000:]}"
        print(f"failed by B {time.monotonic() - killed_at:.1f} s after A was killed")
        task = on_b.get(f"/api/v1/tasks/{dying['task_id']}").json()
        assert task["replica"] == "replica-a"
        assert task["error"].startswith(
            "the replica replica-a that ran it stopped (no heartbeat since "
        ), task
        model = on_b.get(f"/api/v1/models/{dying['model_id']}").json()
        assert model["status"] == "failed" and model["error"] == task["error"], model
        # once no worker could write it, the model's lock and files are gone
        bundle = tmp_path / "shared" / "models" / f"{dying['model_id']}.zip"
        assert_gone_soon(ownership.lock_path(bundle))
        assert not bundle.exists()

        # the live replica's fit runs on, and is its own to end
        mine = on_b.get(f"/api/v1/tasks/{living['task_id']}").json()
        assert mine["status"] == "running", mine
        assert on_b.post(f"/api/v1/tasks/{living['task_id']}/cancel").status_code == 202

    # a clean stop removes the replica's heartbeat; the killed one's stays, stale
    b.stop()
    engine = make_engine(replicas.database_url)
    try:
        assert set(SqlReplicas(engine).heartbeats().last_seen) == {"replica-a"}
    finally:
        engine.dispose()
