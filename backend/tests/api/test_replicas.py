"""Two API replicas (`python -m app`, two real uvicorn processes) over one PostgreSQL
registry and one models/datasets folder, on loopback: what one loads, unloads, removes or
moves an alias to is what the other serves within 2 s; the default models are trained
once; each answer names its replica; and a replica restarting leaves the other's fit
running."""

import os
import re
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from testkit.api import fit, upload_csv, wait_task
from testkit.databases import fresh_postgres_database, postgres_unavailable_reason
from testkit.replicas import replica_server, within
from testkit.samples import SLOW_PARAMS, SLOW_RETRIEVER_PARAMS, labelled_csv, slow_csv, slow_qa_csv
from testkit.servers import BackendServer, wait_for

pytestmark = pytest.mark.postgres

CONVERGE_S = 2.0
READY_S = 600


@dataclass
class Pair:
    a: BackendServer
    b: BackendServer
    shared: Path

    def client(self, server: BackendServer) -> httpx.Client:
        return httpx.Client(base_url=server.base_url, timeout=120)


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pair]:
    reason = postgres_unavailable_reason()
    if reason:
        pytest.skip(reason)
    root = tmp_path_factory.mktemp("replicas")
    shared = root / "shared"
    with fresh_postgres_database() as url:
        a, b = (replica_server(root, shared, url, name) for name in ("replica-a", "replica-b"))
        errors: list[BaseException] = []

        def start(server: BackendServer) -> None:
            try:
                server.start(wait_ready=False)
                # one replica trains the defaults while the other waits for it: on a busy
                # machine that is longer than a lone server's start
                wait_for(f"{server.base_url}/readyz", READY_S, server.process)
            except BaseException as exc:  # shown below, with the server's output
                errors.append(exc)

        # both at once, as `--scale api=2` starts them: the default models race
        threads = [threading.Thread(target=start, args=(s,)) for s in (a, b)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        try:
            if errors:
                print(a.output()[-4000:], b.output()[-4000:])
                raise errors[0]
            yield Pair(a, b, shared)
        finally:
            a.stop()
            b.stop()


@pytest.fixture(scope="module")
def dataset(pair: Pair) -> dict[str, Any]:
    with pair.client(pair.a) as client:
        response = upload_csv(client, labelled_csv(400, seed=20), "replicas.csv")
        assert response.status_code in (200, 201), response.text
        return response.json()


def _trained(client: httpx.Client, dataset_id: str, name: str) -> dict[str, Any]:
    task = wait_task(client, fit(client, dataset_id, name=name)["task_id"])
    assert task["status"] == "succeeded", task
    return client.get(f"/api/v1/models/{task['model_id']}").json()


def _in_memory(server: BackendServer) -> int:
    """How many models the replica holds in memory (its /metrics gauge)."""
    text = httpx.get(f"{server.base_url}/metrics", timeout=10).text
    line = next(x for x in text.splitlines() if x.startswith("textclf_loaded_models "))
    return int(float(line.split()[1]))


def _predict(server: BackendServer, ref: str) -> httpx.Response:
    return httpx.post(
        f"{server.base_url}/api/v1/models/predict",
        json={"model_id": ref, "texts": ["you stupid idiot", "thanks for the edit"]},
        timeout=30,
    )


def _answers(response: httpx.Response) -> list[dict[str, Any]]:
    """The predictions without their ids in the log (new for every answer)."""
    return [
        {k: v for k, v in p.items() if k != "prediction_id"} for p in response.json()["predictions"]
    ]


def test_every_answer_names_its_replica(pair: Pair) -> None:
    for server, name in ((pair.a, "replica-a"), (pair.b, "replica-b")):
        assert httpx.get(f"{server.base_url}/healthz").headers.get_list("x-replica") == [name]
        missing = httpx.get(f"{server.base_url}/api/v1/models/no-such-model")
        assert missing.status_code == 404
        assert missing.headers.get_list("x-replica") == [name]


def test_the_default_models_are_trained_once(pair: Pair) -> None:
    with pair.client(pair.b) as client:
        models = client.get("/api/v1/models", params={"limit": 500}).json()
    for name in ("toxic-logreg", "toxic-naive-bayes"):
        versions = [m["version"] for m in models if m["name"] == name]
        assert versions == [1], f"{name} has versions {versions}"
    # and both replicas serve them
    for server in (pair.a, pair.b):
        answer = _predict(server, "toxic-logreg:1")
        assert answer.status_code == 200, answer.text
        # the default retriever's embedded shard: one replica serves it, neither failed it
        assert "the default retriever could not be prepared" not in server.output()


def test_load_unload_and_remove_reach_the_other_replica(pair: Pair, dataset: dict) -> None:
    with pair.client(pair.a) as a:
        model = _trained(a, dataset["id"], "replicated")
        held = _in_memory(pair.b)
        assert _predict(pair.b, model["id"]).status_code == 409  # loaded nowhere yet

        assert a.post("/api/v1/models/load", json={"model_id": model["id"]}).status_code == 200
        took = within(CONVERGE_S, lambda: _in_memory(pair.b) == held + 1)
        assert took is not None, "B did not load the model within 2 s"
        on_a, on_b = _predict(pair.a, model["id"]), _predict(pair.b, model["id"])
        assert on_b.status_code == 200 and on_b.headers["x-replica"] == "replica-b"
        assert _answers(on_b) == _answers(on_a)

        assert a.post("/api/v1/models/unload", json={"model_id": model["id"]}).status_code == 200
        unloaded = within(CONVERGE_S, lambda: _in_memory(pair.b) == held)
        assert unloaded is not None, "B did not let go of the model within 2 s"
        assert _predict(pair.b, model["id"]).status_code == 409

        a.post("/api/v1/models/load", json={"model_id": model["id"]}).raise_for_status()
        assert within(CONVERGE_S, lambda: _in_memory(pair.b) == held + 1) is not None
        assert a.delete(f"/api/v1/models/{model['id']}").status_code == 204
        removed = within(CONVERGE_S, lambda: _in_memory(pair.b) == held)
        assert removed is not None, "B did not let go of the removed model within 2 s"
        assert _predict(pair.b, model["id"]).status_code == 404
        print(f"converged on B: load {took:.2f}s, unload {unloaded:.2f}s, remove {removed:.2f}s")


def test_an_alias_moved_on_one_replica_is_answered_by_the_other(pair: Pair, dataset: dict) -> None:
    with pair.client(pair.a) as a:
        first = _trained(a, dataset["id"], "aliased")
        second = _trained(a, dataset["id"], "aliased")
        a.put("/api/v1/aliases/aliased/live", json={"version": first["version"]}).raise_for_status()
        answer = _predict(pair.b, "aliased@live")
        assert answer.status_code == 200 and answer.json()["version"] == first["version"]

        # moved on A, asked of B at once: B has not synced yet, and must not answer 409
        a.put(
            "/api/v1/aliases/aliased/live", json={"version": second["version"]}
        ).raise_for_status()
        answer = _predict(pair.b, "aliased@live")
        assert answer.status_code == 200, answer.text
        assert answer.json()["version"] == second["version"]
        assert answer.headers["x-replica"] == "replica-b"


def test_a_replica_restarting_leaves_the_others_fit_running(pair: Pair) -> None:
    """B is killed and started again while A fits: B's start-up recovery and sweeps leave
    A's task, its model and its files alone, and the fit ends well on A."""
    with pair.client(pair.a) as a:
        slow = upload_csv(a, slow_csv(), "slow.csv").json()
        queued = fit(a, slow["id"], name="long-fit", kind="linear_svc", params=SLOW_PARAMS)
        deadline = time.monotonic() + 60
        while a.get(f"/api/v1/tasks/{queued['task_id']}").json()["status"] != "running":
            assert time.monotonic() < deadline, "the fit never started"
            time.sleep(0.1)

        pair.b.restart(kill=True)
        during = a.get(f"/api/v1/tasks/{queued['task_id']}").json()
        assert during["status"] in ("running", "succeeded"), during
        assert during["replica"] == "replica-a"

        task = wait_task(a, queued["task_id"], timeout=300)
        assert task["status"] == "succeeded", task
        model = a.get(f"/api/v1/models/{queued['model_id']}").json()
        assert model["status"] == "ready"
        assert (pair.shared / "models" / f"{model['id']}.zip").is_file()
    # B's start-up neither failed the task nor swept its files
    assert queued["task_id"] not in pair.b.output()
    assert queued["model_id"] not in pair.b.output()


def test_a_cancel_on_the_other_replica_stops_the_fit(pair: Pair) -> None:
    """B ends A's fit in the registry; A's sync sees it and terminates the worker, which
    releases the file lock B waits for: the cancel answers at once, nothing is left."""
    with pair.client(pair.a) as a, pair.client(pair.b) as b:
        slow = upload_csv(a, slow_csv(), "slow.csv").json()
        queued = fit(
            a, slow["id"], name="cancelled-elsewhere", kind="linear_svc", params=SLOW_PARAMS
        )
        deadline = time.monotonic() + 60
        while a.get(f"/api/v1/tasks/{queued['task_id']}").json()["status"] != "running":
            assert time.monotonic() < deadline, "the fit never started"
            time.sleep(0.1)
        started = time.monotonic()
        cancelled = b.post(f"/api/v1/tasks/{queued['task_id']}/cancel")
        took = time.monotonic() - started
        assert cancelled.status_code == 202, cancelled.text
        assert cancelled.json()["status"] == "cancelled"
        assert took < 10, f"the cancel took {took:.1f}s"
        stopped = f"task {queued['task_id']} ended elsewhere (cancelled); its job stopped"
        assert within(5, lambda: stopped in pair.a.output()) is not None
        model = a.get(f"/api/v1/models/{queued['model_id']}").json()
        assert model["status"] == "cancelled"
        leftovers = [
            p.name for p in (pair.shared / "models").iterdir() if queued["model_id"] in p.name
        ]
        assert leftovers == []


def test_a_retriever_fit_cancelled_on_the_other_replica_stops(pair: Pair) -> None:
    with pair.client(pair.a) as a, pair.client(pair.b) as b:
        dataset = upload_csv(a, slow_qa_csv(), "slow_qa.csv").json()
        body = {"name": "far-cancel", "dataset_id": dataset["id"], "params": SLOW_RETRIEVER_PARAMS}
        response = a.post("/api/v1/retrievers/fit", json=body)
        assert response.status_code == 202, response.text
        task_id, retriever_id = response.json()["task_id"], response.json()["retriever_id"]
        deadline = time.monotonic() + 60
        while a.get(f"/api/v1/tasks/{task_id}").json()["status"] != "running":
            assert time.monotonic() < deadline, "the fit never started"
            time.sleep(0.1)
        pids = re.findall(rf"task {task_id} running in process (\d+)", pair.a.output())
        assert pids, "A logs which process runs the fit"

        started = time.monotonic()
        cancelled = b.post(f"/api/v1/tasks/{task_id}/cancel")
        assert cancelled.status_code == 202, cancelled.text
        assert cancelled.json()["status"] == "cancelled"
        assert time.monotonic() - started < 10
        retriever = a.get(f"/api/v1/retrievers/{retriever_id}").json()
        assert retriever["status"] == "cancelled"
        assert not (pair.shared / "retrievers" / retriever_id).exists()

        def gone() -> bool:
            try:
                os.kill(int(pids[0]), 0)
            except ProcessLookupError:
                return True
            return False

        assert within(5, gone) is not None, "A's worker still runs"
