"""Large batch scoring on Dask workers (TASK_EXECUTOR=dask), on loopback: a real scheduler
and 2 workers, a real backend. predict_csv and predict_scores answer exactly as the local
executor does on the same registry and model (the backend restarted local between), their
chunks really ran on the workers (the events the worker function leaves on the scheduler),
a small batch never goes to Dask, a worker killed mid-stream changes nothing in the
answer, a chunk that fails on the workers ends the stream as an error (as a failure of the
local model does), and a scheduler that cannot be reached is a 503 before any byte."""

import csv
import io
import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from distributed import Client

from app.tasks.scoring_job import EVENT_TOPIC
from testkit.api import fit, upload_csv, wait_task
from testkit.dask import DaskCluster, dask_cluster
from testkit.data import DEMO_CSV
from testkit.servers import BackendServer, free_port

pytestmark = pytest.mark.dask

API = "/api/v1/models"
CHUNK_ROWS = 100
MIN_ROWS = 300
LARGE_ROWS = 700  # 7 chunks, some texts blank
SMALL_ROWS = 150  # under MIN_ROWS: scored in the replica
KILL_ROWS = 6_000  # long enough a stream to kill a worker in the middle of it
NAME = "daskscore"
PREDICTION_ID = "Prediction id"  # new on every answer: left out of the comparisons


def _demo_rows() -> tuple[list[str], list[list[str]]]:
    with DEMO_CSV.open(newline="", encoding="utf-8") as handle:
        header, *rows = list(csv.reader(handle))
    return header, rows


def _file(rows: int) -> bytes:
    """`rows` rows of the demo sample (over and over), every 13th text blank."""
    header, sample = _demo_rows()
    out = io.StringIO(newline="")
    writer = csv.writer(out)
    writer.writerow(["row", *header])
    for n in range(rows):
        row = list(sample[n % len(sample)])
        if n % 13 == 5:
            row[0] = "   "
        writer.writerow([str(n), *row])
    return out.getvalue().encode()


def _table(content: bytes) -> list[list[str]]:
    """The answer's rows without the prediction ids."""
    rows = list(csv.reader(io.StringIO(content.decode("utf-8"), newline="")))
    drop = rows[0].index(PREDICTION_ID)
    return [row[:drop] + row[drop + 1 :] for row in rows]


def _predict_csv(client: httpx.Client, model_id: str, content: bytes) -> httpx.Response:
    return client.post(
        f"{API}/predict_csv",
        data={"model_id": model_id},
        files={"file": ("in.csv", content, "text/csv")},
    )


def _model(client: httpx.Client) -> dict[str, Any]:
    """The model every request uses: a logreg fitted on the demo sample the first time
    (the backend trains no default models, so it starts fast)."""
    fitted = [m for m in client.get(f"{API}/", params={"limit": 1000}).json() if m["name"] == NAME]
    if fitted:
        return fitted[0]
    dataset = upload_csv(client, DEMO_CSV, "demo_data_sample.csv").json()
    accepted = fit(client, dataset["id"], name=NAME)
    assert wait_task(client, accepted["task_id"], timeout=600)["status"] == "succeeded"
    client.post(f"{API}/load", json={"model_id": accepted["model_id"]}).raise_for_status()
    return dict(client.get(f"{API}/{accepted['model_id']}").json())


def _events(cluster: DaskCluster) -> list[dict[str, Any]]:
    with Client(cluster.address, timeout=10, set_as_default=False) as client:
        return [message for _, message in client.get_events(EVENT_TOPIC)]


def _events_after(cluster: DaskCluster, before: int) -> list[dict[str, Any]]:
    """The events of the last request (they reach the scheduler a moment after their
    results do: read until no new one came for a second)."""
    deadline = time.monotonic() + 15
    new = _events(cluster)[before:]
    while time.monotonic() < deadline:
        time.sleep(1)
        again = _events(cluster)[before:]
        if len(again) == len(new):
            break
        new = again
    return new


def _scores(client: httpx.Client, model_id: str, dataset_id: str, split: str) -> dict[str, Any]:
    response = client.post(
        f"{API}/predict_scores",
        json={"model_ids": [model_id], "dataset_id": dataset_id, "split": split},
    )
    assert response.status_code == 200, response.text
    return response.json()


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DaskCluster]:
    with dask_cluster(tmp_path_factory.mktemp("dask-logs"), 2) as running:
        yield running


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("daskscore-backend")


def _server(root: Path, **env: str) -> BackendServer:
    server = BackendServer(
        root=root,
        env={
            "DEFAULT_MODELS": "false",
            "PREDICT_CHUNK_ROWS": str(CHUNK_ROWS),
            "DASK_BATCH_MIN_ROWS": str(MIN_ROWS),
            **env,
        },
    )
    try:
        return server.start()
    except Exception:
        print(server.output()[-5000:])
        raise


def _requests(client: httpx.Client) -> dict[str, Any]:
    """What both executors are asked, each a function that gives a comparable answer:
    predict_csv of a large and a small file, predict_scores on every row of the demo
    dataset and on the model's held-out split."""
    model = _model(client)
    dataset = upload_csv(client, DEMO_CSV, "demo_data_sample.csv").json()

    def predicted(rows: int) -> list[list[str]]:
        response = _predict_csv(client, model["id"], _file(rows))
        assert response.status_code == 200, response.text
        return _table(response.content)

    return {
        "model": model,
        "large": lambda: predicted(LARGE_ROWS),
        "small": lambda: predicted(SMALL_ROWS),
        "scores_all": lambda: _scores(client, model["id"], dataset["id"], "all"),
        "scores_test": lambda: _scores(client, model["id"], dataset["id"], "test"),
    }


@pytest.fixture(scope="module")
def on_dask(cluster: DaskCluster, root: Path) -> Iterator[dict[str, Any]]:
    """Everything asked of the backend with TASK_EXECUTOR=dask, and the chunks' events."""
    server = _server(root, TASK_EXECUTOR="dask", DASK_SCHEDULER_ADDRESS=cluster.address)
    try:
        with httpx.Client(base_url=server.base_url, timeout=300) as client:
            seen = _on_dask(client, cluster, server)
    finally:
        server.stop()  # before `on_local` restarts it: SQLite serves one server process
    yield seen


def _on_dask(client: httpx.Client, cluster: DaskCluster, server: BackendServer) -> dict[str, Any]:
    requests = _requests(client)
    seen: dict[str, Any] = {"model": requests.pop("model")}
    for name, call in requests.items():
        before = len(_events(cluster))
        seen[name] = call()
        seen[f"{name}_events"] = _events_after(cluster, before)
    seen["workers"] = _worker_addresses(cluster)
    seen["killed"] = _killing_a_worker(client, cluster, seen["model"]["id"])
    seen["failing"] = _failing_chunk(client, server, seen["model"]["id"])
    return seen


def _worker_addresses(cluster: DaskCluster) -> set[str]:
    with Client(cluster.address, timeout=10, set_as_default=False) as client:
        return set(client.scheduler_info(n_workers=-1)["workers"])


def _killing_a_worker(client: httpx.Client, cluster: DaskCluster, model_id: str) -> dict:
    """A long predict_csv; one worker process killed (-9) once the answer has started."""
    with Client(cluster.address, timeout=10, set_as_default=False) as dask:
        pids = dask.run(os.getpid)  # the worker processes (children of their nannies)
    victim = sorted(pids)[0]
    received = bytearray()
    killed = None
    with client.stream(
        "POST",
        f"{API}/predict_csv",
        data={"model_id": model_id},
        files={"file": ("in.csv", _file(KILL_ROWS), "text/csv")},
    ) as response:
        assert response.status_code == 200
        for part in response.iter_bytes():
            received += part
            if killed is None:
                killed = pids[victim]
                os.kill(killed, signal.SIGKILL)
    return {"table": _table(bytes(received)), "killed_pid": killed}


def _failing_chunk(client: httpx.Client, server: BackendServer, model_id: str) -> dict:
    """A model whose bundle on the shared path no longer matches its sha256: loaded in the
    replica before it changed, so only the workers (which read it themselves) fail."""
    answer = client.put(f"{API}/{model_id}/thresholds", json={"thresholds": {"1": 0.4}})
    assert answer.status_code == 200, answer.text
    child = answer.json()["model_id"]
    assert answer.json()["loaded"] is True
    with (server.models_dir / f"{child}.zip").open("ab") as bundle:
        bundle.write(b"changed")
    outcome: dict[str, Any] = {}
    try:
        response = _predict_csv(client, child, _file(LARGE_ROWS))
        outcome["status"] = response.status_code
        outcome["rows"] = len(_table(response.content)) - 1
    except httpx.HTTPError as exc:
        outcome["error"] = repr(exc)
    client.delete(f"{API}/{child}").raise_for_status()
    return outcome


@pytest.fixture(scope="module")
def on_local(on_dask: dict[str, Any], root: Path) -> Iterator[dict[str, Any]]:
    """The same requests, the backend restarted on the same registry with the local executor."""
    server = _server(root, TASK_EXECUTOR="local")
    try:
        with httpx.Client(base_url=server.base_url, timeout=300) as client:
            requests = _requests(client)
            answers = {"model": requests.pop("model")}
            answers.update({name: call() for name, call in requests.items()})
            response = _predict_csv(client, answers["model"]["id"], _file(KILL_ROWS))
            assert response.status_code == 200
            answers["killed"] = {"table": _table(response.content)}
    finally:
        server.stop()  # before a test starts it again: SQLite serves one server process
    yield answers


def test_a_large_predict_csv_is_scored_on_the_workers_in_the_file_order(
    on_dask: dict[str, Any], on_local: dict[str, Any]
) -> None:
    assert on_dask["model"]["id"] == on_local["model"]["id"]
    table = on_dask["large"]
    assert [row[0] for row in table[1:]] == [str(n) for n in range(LARGE_ROWS)]
    assert table == on_local["large"]  # Result, Confidence, P(…), Note: cell for cell
    events = on_dask["large_events"]
    assert len(events) == -(-LARGE_ROWS // CHUNK_ROWS)
    blank = sum(1 for n in range(LARGE_ROWS) if n % 13 == 5)
    assert sum(e["rows"] for e in events) == LARGE_ROWS - blank  # blank texts: not scored
    assert {e["worker"] for e in events} <= on_dask["workers"]


def test_the_chunks_are_spread_over_both_workers(on_dask: dict[str, Any]) -> None:
    events = on_dask["large_events"] + on_dask["scores_all_events"]
    assert {e["worker"] for e in events} == on_dask["workers"]
    assert len(on_dask["workers"]) == 2


def test_a_small_file_is_scored_in_the_replica(
    on_dask: dict[str, Any], on_local: dict[str, Any]
) -> None:
    assert on_dask["small_events"] == []
    assert on_dask["small"] == on_local["small"]


def test_predict_scores_of_many_rows_runs_on_the_workers_with_the_same_answer(
    on_dask: dict[str, Any], on_local: dict[str, Any]
) -> None:
    for split in ("all", "test"):
        assert on_dask[f"scores_{split}"] == on_local[f"scores_{split}"], split
    rows = on_dask["scores_all"]["results"][0]["n_rows"]
    assert rows >= MIN_ROWS
    events = on_dask["scores_all_events"]
    assert len(events) == -(-rows // CHUNK_ROWS)
    assert sum(e["rows"] for e in events) == rows
    held_out = on_dask["scores_test"]["results"][0]["n_rows"]
    assert len(on_dask["scores_test_events"]) == (
        -(-held_out // CHUNK_ROWS) if held_out >= MIN_ROWS else 0
    )


def test_a_worker_killed_mid_stream_changes_nothing_in_the_answer(
    on_dask: dict[str, Any], on_local: dict[str, Any]
) -> None:
    killed = on_dask["killed"]
    assert killed["killed_pid"] is not None
    assert len(killed["table"]) == KILL_ROWS + 1
    assert killed["table"] == on_local["killed"]["table"]


def test_a_chunk_failing_on_the_workers_ends_the_stream_as_an_error(
    on_dask: dict[str, Any],
) -> None:
    failing = on_dask["failing"]
    # the answer had started (200): the connection is cut before its last chunk, so no
    # client takes the short file for the whole one
    assert "error" in failing, failing
    assert "RemoteProtocolError" in failing["error"]


def test_an_unreachable_scheduler_is_a_503_before_any_byte(
    on_local: dict[str, Any], root: Path
) -> None:
    address = f"tcp://127.0.0.1:{free_port()}"  # nothing listens there
    server = _server(root, TASK_EXECUTOR="dask", DASK_SCHEDULER_ADDRESS=address)
    try:
        with httpx.Client(base_url=server.base_url, timeout=120) as client:
            model_id = on_local["model"]["id"]
            response = _predict_csv(client, model_id, _file(LARGE_ROWS))
            assert response.status_code == 503, response.text
            assert address in response.json()["detail"]
            small = _predict_csv(client, model_id, _file(SMALL_ROWS))  # not Dask's
            assert small.status_code == 200
            assert _table(small.content) == on_local["small"]
    finally:
        server.stop()
