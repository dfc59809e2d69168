"""The scale-out topology on loopback (testkit/cluster.py): a Dask scheduler and 2 workers,
2 API replicas over one fresh PostgreSQL database, nginx in front. Real processes only;
the clients know nginx's address, and a replica's own address only where a test asks one
replica what it holds in memory. One topology for the module; a test that kills a process
starts it again before it ends, so the tests do not depend on their order.
"""

import threading
import time
from collections import Counter
from collections.abc import Iterator

import httpx
import pytest

from testkit import cluster_checks as checks
from testkit import nginx, processes
from testkit.api import upload_csv, wait_task
from testkit.cluster import Cluster
from testkit.data import DEMO_CSV
from testkit.databases import fresh_postgres_database, postgres_unavailable_reason
from testkit.samples import SLOW_PARAMS, slow_csv

pytestmark = [pytest.mark.cluster, pytest.mark.timeout(900)]

CANCEL_IDLE_S = 5.0  # a cancelled fit's worker is idle within this
# long on any machine: character 1-8-grams and a 10-fold calibrated SVM, slow to converge
LONG_FIT = {"analyzer": "char", "ngram_range": [1, 8], "max_features": 5_000_000}
LONG_FIT |= {"C": 1000.0, "max_iter": 100_000, "calibration_folds": 10}


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    if nginx.nginx_binary() is None:
        pytest.skip("nginx is not installed (scripts/install-system-deps.sh)")
    reason = postgres_unavailable_reason()
    if reason:
        pytest.skip(reason)
    with fresh_postgres_database() as url:
        # a replica that stops beating is taken for stopped after 10 s, not a minute
        heartbeats = {"REPLICA_HEARTBEAT_SECONDS": "1", "REPLICA_STALE_SECONDS": "10"}
        running = Cluster.isolated(tmp_path_factory.mktemp("cluster"), url, env=heartbeats)
        try:
            running.start()
        except Exception:
            print(running.outputs())
            raise
        try:
            yield running
        finally:
            pids = [pid for name in running.processes for pid in running.pids(name)]
            running.stop()
        # a clean shutdown: nothing of the topology survives, not even a worker's child
        deadline = time.monotonic() + 5
        while (
            left := [pid for pid in pids if processes.alive(pid)]
        ) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not left, f"left running: {left}"


@pytest.fixture(scope="module")
def proxy(cluster: Cluster) -> Iterator[httpx.Client]:
    with cluster.client() as client:
        yield client


@pytest.fixture(scope="module")
def demo_dataset(proxy: httpx.Client) -> str:
    response = upload_csv(proxy, DEMO_CSV, "demo.csv")
    assert response.status_code in (200, 201), response.text
    return response.json()["id"]


@pytest.fixture(scope="module")
def slow_dataset(proxy: httpx.Client) -> str:
    """12,000 distinct random-word texts: with SLOW_PARAMS a fit of about 10 s on a quiet
    core (repeated demo rows would not do: the fit drops duplicates, and what is left
    trains in a second)."""
    response = upload_csv(proxy, slow_csv(), "slow.csv")
    assert response.status_code in (200, 201), response.text
    return response.json()["id"]


@pytest.fixture(scope="module")
def loaded_model(cluster: Cluster, proxy: httpx.Client, demo_dataset: str) -> str:
    """A fit through nginx, loaded through nginx: its id."""
    accepted = checks.fit(proxy, demo_dataset)
    task = wait_task(proxy, accepted["task_id"], timeout=300)
    assert task["status"] == "succeeded", task
    held = checks.same_everywhere(cluster)
    loaded = proxy.post("/api/v1/models/load", json={"model_id": accepted["model_id"]})
    assert loaded.status_code == 200, loaded.text
    checks.converge(cluster, held + 1)
    return str(accepted["model_id"])


def test_a_fit_through_nginx_runs_on_a_dask_worker_and_loads_on_every_replica(
    cluster: Cluster, proxy: httpx.Client, demo_dataset: str
) -> None:
    accepted = checks.fit(proxy, demo_dataset, name="cluster-first")
    task = wait_task(proxy, accepted["task_id"], timeout=300)
    assert task["status"] == "succeeded", task
    assert checks.worker_name(cluster, task) in cluster.worker_names
    assert task["replica"] in cluster.replica_names
    held = checks.same_everywhere(cluster)
    loaded = proxy.post("/api/v1/models/load", json={"model_id": accepted["model_id"]})
    assert loaded.status_code == 200, loaded.text
    seconds = checks.converge(cluster, held + 1)
    assert seconds <= checks.CONVERGE_S, f"the replicas converged in {seconds:.2f}s"
    checks.answers_everywhere(cluster, accepted["model_id"], 200)


def test_predictions_through_nginx_reach_every_replica(
    cluster: Cluster, proxy: httpx.Client, loaded_model: str
) -> None:
    replicas: Counter[str] = Counter()
    for _ in range(20):
        response = proxy.post(
            "/api/v1/models/predict", json={"model_id": loaded_model, "texts": checks.TEXTS}
        )
        assert response.status_code == 200, response.text
        replicas[response.headers["x-replica"]] += 1
    assert set(replicas) == set(cluster.replica_names), replicas


def test_unload_and_remove_reach_every_replica(
    cluster: Cluster, proxy: httpx.Client, demo_dataset: str
) -> None:
    accepted = checks.fit(proxy, demo_dataset, name="cluster-removed")
    assert wait_task(proxy, accepted["task_id"], timeout=300)["status"] == "succeeded"
    model_id = accepted["model_id"]
    held = checks.same_everywhere(cluster)
    assert proxy.post("/api/v1/models/load", json={"model_id": model_id}).status_code == 200
    checks.converge(cluster, held + 1)

    assert proxy.post("/api/v1/models/unload", json={"model_id": model_id}).status_code == 200
    assert checks.converge(cluster, held) <= checks.CONVERGE_S
    checks.answers_everywhere(cluster, model_id, 409)

    assert proxy.post("/api/v1/models/load", json={"model_id": model_id}).status_code == 200
    checks.converge(cluster, held + 1)
    removed = proxy.delete(f"/api/v1/models/{model_id}")
    assert removed.status_code in (200, 204), removed.text
    assert checks.converge(cluster, held) <= checks.CONVERGE_S
    checks.answers_everywhere(cluster, model_id, 404)
    checks.assert_registry_consistent(cluster, proxy)


def test_a_worker_killed_during_a_fit_leaves_a_consistent_registry(
    cluster: Cluster, proxy: httpx.Client, slow_dataset: str
) -> None:
    accepted = checks.fit(proxy, slow_dataset, name="cluster-killed", params=SLOW_PARAMS)
    running = checks.wait_running(proxy, accepted["task_id"])
    victim = checks.worker_name(cluster, running)
    time.sleep(1)  # into the fit
    still = proxy.get(f"/api/v1/tasks/{accepted['task_id']}").json()
    assert still["status"] == "running", f"the fit ended before the kill: {still}"
    cluster.kill(victim)  # the nanny, its worker and the fit's process: a machine gone
    try:
        task = wait_task(proxy, accepted["task_id"], timeout=400, interval=0.5)
        model = proxy.get(f"/api/v1/models/{accepted['model_id']}").json()
        if task["status"] == "succeeded":  # Dask ran it again on the other worker
            assert checks.worker_name(cluster, task) != victim, task
            assert model["status"] == "ready"
        else:  # or it failed, saying why, and left no ready model
            assert task["status"] == "failed", task
            assert task["error"], task
            assert model["status"] != "ready", model
        checks.assert_registry_consistent(cluster, proxy)
    finally:
        cluster.start_worker(victim)
        cluster.wait_for_workers()


def test_a_replica_killed_under_load_fails_only_its_requests_in_flight(
    cluster: Cluster, proxy: httpx.Client, loaded_model: str
) -> None:
    victim, survivor = cluster.replica_names[-1], cluster.replica_names[0]
    stop = threading.Event()
    results: list[tuple[float, int, str]] = []  # (when, status or 0 for no answer, replica)
    body = {"model_id": loaded_model, "texts": checks.TEXTS}

    def load() -> None:
        with cluster.client(timeout=30) as client:
            while not stop.is_set():
                sent = time.monotonic()
                try:
                    response = client.post("/api/v1/models/predict", json=body)
                    answer = (sent, response.status_code, response.headers.get("x-replica", ""))
                except httpx.HTTPError:
                    answer = (sent, 0, "")
                results.append(answer)

    threads = [threading.Thread(target=load) for _ in range(8)]
    for thread in threads:
        thread.start()
    try:
        time.sleep(3)
        kill_time = time.monotonic()
        cluster.kill(victim)
        # nginx notices within milliseconds that its idle connections to the victim closed
        killed = time.monotonic() + 0.2
        time.sleep(5)
    finally:
        stop.set()
        for thread in threads:
            thread.join(60)
    try:
        before = [r for r in results if r[0] < kill_time]
        after = [r for r in results if r[0] >= killed]
        assert {r[2] for r in before if r[1] == 200} == set(cluster.replica_names)
        failed = [r for r in results if r[1] != 200]
        # only the requests in flight on the killed replica: 8 at most, sent by the kill
        assert len(failed) <= 8, Counter(r[1] for r in failed)
        assert all(r[0] < killed for r in failed), failed
        assert len(after) > 20 and all(r[1] == 200 and r[2] == survivor for r in after)
        assert proxy.get("/readyz").status_code == 200
        checks.assert_registry_consistent(cluster, proxy)
    finally:
        cluster.start_replica(victim, wait="readyz")
    # the restarted replica holds the loaded models again, by itself
    checks.converge(cluster, checks.held_models(cluster)[survivor])
    checks.answers_everywhere(cluster, loaded_model, 200)


def test_a_replica_killed_mid_fit_has_its_dask_fit_ended_by_the_other(
    cluster: Cluster, proxy: httpx.Client, slow_dataset: str
) -> None:
    """The replica that queued a fit holds its Dask future and records its end; killed, it
    never will: the other replica ends the task once the killed one's heartbeat is older
    than REPLICA_STALE_SECONDS, and the fit's work on the worker stops."""
    victim = cluster.replica_names[-1]
    with httpx.Client(base_url=cluster.replica_url(victim), timeout=60) as direct:
        accepted = checks.fit(
            direct, slow_dataset, name="cluster-orphaned", kind="linear_svc", params=LONG_FIT
        )
    running = checks.wait_running(proxy, accepted["task_id"])
    assert running["replica"] == victim, running
    pid = cluster.processes[checks.worker_name(cluster, running)].pid
    cluster.kill(victim)
    try:
        task = wait_task(proxy, accepted["task_id"], timeout=120, interval=0.5)
        assert task["status"] == "failed", task
        assert task["error"].startswith(f"the replica {victim} that ran it stopped"), task
        model = proxy.get(f"/api/v1/models/{accepted['model_id']}").json()
        assert model["status"] == "failed" and model["error"] == task["error"], model
        checks.idle_within(pid, CANCEL_IDLE_S)
        checks.assert_registry_consistent(cluster, proxy)
    finally:
        cluster.start_replica(victim, wait="readyz")


def test_cancel_stops_the_work_on_the_dask_worker(
    cluster: Cluster, proxy: httpx.Client, slow_dataset: str
) -> None:
    accepted = checks.fit(
        proxy, slow_dataset, name="cluster-cancelled", kind="linear_svc", params=LONG_FIT
    )
    running = checks.wait_running(proxy, accepted["task_id"])
    pid = cluster.processes[checks.worker_name(cluster, running)].pid
    time.sleep(1)
    busy = checks.cores(pid)
    # a low bar: on a shared 2-core machine the fit gets what the others leave it
    assert busy > 0.1, f"the worker uses {busy:.2f} cores: is the fit running there?"
    cancelled = proxy.post(f"/api/v1/tasks/{accepted['task_id']}/cancel")
    assert cancelled.status_code == 202, cancelled.text
    checks.idle_within(pid, CANCEL_IDLE_S)
    assert wait_task(proxy, accepted["task_id"], timeout=30)["status"] == "cancelled"
    checks.assert_registry_consistent(cluster, proxy)
