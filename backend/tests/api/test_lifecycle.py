"""Restarts and crashes, on a server of their own (they stop it, and remove_all is global)."""

import contextlib
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from shared.schemas import INTERRUPTED_BY_RESTART
from testkit.api import assert_problem, fit, upload_csv, wait_task
from testkit.databases import fresh_postgres_database, postgres_unavailable_reason
from testkit.samples import SLOW_PARAMS, labelled_csv, slow_csv
from testkit.servers import BackendServer


@pytest.fixture(params=["sqlite", "postgres"])
def own_server(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[BackendServer]:
    if request.param == "postgres":
        reason = postgres_unavailable_reason()
        if reason:
            pytest.skip(reason)
        with fresh_postgres_database() as url:
            server = BackendServer(root=tmp_path, database_url=url).start()
            yield server
            server.stop()
    else:
        server = BackendServer(root=tmp_path).start()
        yield server
        server.stop()


def _visible_files(server: BackendServer) -> set[str]:
    return {
        str(p.relative_to(server.root))
        for d in (server.models_dir, server.datasets_dir)
        for p in d.rglob("*")
        if p.is_file() and p.name != ".gitkeep"
    }


def test_kill_during_training_then_restart(own_server: BackendServer) -> None:
    client = httpx.Client(base_url=own_server.base_url, timeout=60)
    dataset = upload_csv(client, labelled_csv(150, seed=31)).json()
    kept = fit(client, dataset["id"], name="survivor", params={"min_df": 1})
    assert wait_task(client, kept["task_id"])["status"] == "succeeded"
    client.post("/api/v1/models/load", json={"model_id": kept["model_id"]})
    slow = upload_csv(client, slow_csv(), "slow.csv").json()
    doomed = fit(client, slow["id"], name="doomed", kind="linear_svc", params=SLOW_PARAMS)
    deadline = time.monotonic() + 60
    while client.get(f"/api/v1/tasks/{doomed['task_id']}").json()["status"] != "running":
        assert time.monotonic() < deadline
        time.sleep(0.1)
    time.sleep(1)
    before = {m["id"] for m in client.get("/api/v1/models/", params={"limit": 1000}).json()}

    own_server.restart(kill=True)  # SIGKILL: no shutdown code runs
    client = httpx.Client(base_url=own_server.base_url, timeout=60)

    task = client.get(f"/api/v1/tasks/{doomed['task_id']}").json()
    assert task["status"] == "failed" and "server stopped" in task["error"]
    # said apart from a fit that a shutdown ended: its finished_at is this start's moment
    assert task["message"] == INTERRUPTED_BY_RESTART
    assert client.get(f"/api/v1/models/{doomed['model_id']}").json()["status"] == "failed"
    assert {m["id"] for m in client.get("/api/v1/models/", params={"limit": 1000}).json()} == before
    assert {d["id"] for d in client.get("/api/v1/datasets").json()} >= {dataset["id"], slow["id"]}
    survivor = client.get(f"/api/v1/models/{kept['model_id']}").json()
    assert survivor["loaded"] is True
    answer = client.post(
        "/api/v1/models/predict", json={"model_id": kept["model_id"], "texts": ["you idiot"]}
    )
    assert answer.status_code == 200
    time.sleep(3)  # the killed worker must not write its model afterwards
    assert not (own_server.models_dir / f"{doomed['model_id']}.zip").exists()
    owned = {
        f"models/{m['id']}.zip"
        for m in client.get("/api/v1/models/", params={"limit": 1000}).json()
        if m["status"] == "ready"
    }
    files = {f for f in _visible_files(own_server) if f.startswith("models/")}
    assert files == owned


def test_kill_during_upload_leaves_nothing(own_server: BackendServer) -> None:
    client = httpx.Client(base_url=own_server.base_url, timeout=60)
    before_ids = {d["id"] for d in client.get("/api/v1/datasets").json()}
    before_files = _visible_files(own_server)

    def slow_body() -> Iterator[bytes]:
        yield b'--b\r\nContent-Disposition: form-data; name="file"; filename="x.csv"\r\n\r\n'
        yield b"comment_text,toxic\n"
        for _ in range(200):
            yield b"some text here,0\n" * 100
            time.sleep(0.05)

    def upload() -> None:
        with contextlib.suppress(httpx.HTTPError):
            httpx.post(
                f"{own_server.base_url}/api/v1/datasets",
                content=slow_body(),
                headers={"content-type": "multipart/form-data; boundary=b"},
                timeout=30,
            )

    thread = threading.Thread(target=upload)
    thread.start()
    time.sleep(2)
    partial = list((own_server.datasets_dir / ".incoming").glob("*.part"))
    assert partial, "the upload streams to a partial file"
    own_server.restart(kill=True)
    thread.join()
    client = httpx.Client(base_url=own_server.base_url, timeout=60)
    assert {d["id"] for d in client.get("/api/v1/datasets").json()} == before_ids
    assert _visible_files(own_server) == before_files


def test_remove_all_keeps_defaults_across_restart(own_server: BackendServer) -> None:
    client = httpx.Client(base_url=own_server.base_url, timeout=60)
    dataset = upload_csv(client, labelled_csv(120, seed=41)).json()
    ids = []
    for name in ("a", "b"):
        accepted = fit(client, dataset["id"], name=name, params={"min_df": 1})
        assert wait_task(client, accepted["task_id"])["status"] == "succeeded"
        ids.append(accepted["model_id"])
    defaults = {
        m["id"]
        for m in client.get("/api/v1/models/", params={"limit": 1000}).json()
        if m["is_default"]
    }
    removed = client.delete("/api/v1/models/remove_all").json()["removed"]
    assert sorted(removed) == sorted(ids)
    own_server.restart()
    client = httpx.Client(base_url=own_server.base_url, timeout=60)
    models = client.get("/api/v1/models/", params={"limit": 1000}).json()
    assert {m["id"] for m in models} == defaults  # defaults were loaded, not retrained
    assert all(m["loaded"] for m in models)
    assert_problem(client.get(f"/api/v1/models/{ids[0]}"), 404)


def test_tampered_model_file_is_refused(own_server: BackendServer) -> None:
    client = httpx.Client(base_url=own_server.base_url, timeout=60)
    dataset = upload_csv(client, labelled_csv(120, seed=51)).json()
    accepted = fit(client, dataset["id"], name="tampered", params={"min_df": 1})
    assert wait_task(client, accepted["task_id"])["status"] == "succeeded"
    path = own_server.models_dir / f"{accepted['model_id']}.zip"
    with path.open("ab") as fh:
        fh.write(b"evil")
    assert_problem(
        client.post("/api/v1/models/load", json={"model_id": accepted["model_id"]}),
        409,
        "changed since it was saved",
    )
    assert os.path.exists(path)


def test_data_folders_can_move(tmp_path: Path) -> None:
    """The registry keeps file names, not absolute paths: a moved or re-mounted folder
    (a restored backup, a container volume) still works."""
    first = BackendServer(root=tmp_path / "before").start()
    client = httpx.Client(base_url=first.base_url, timeout=60)
    dataset = upload_csv(client, labelled_csv(120, seed=71)).json()
    accepted = fit(client, dataset["id"], name="mover", params={"min_df": 1})
    assert wait_task(client, accepted["task_id"])["status"] == "succeeded"
    client.post("/api/v1/models/load", json={"model_id": accepted["model_id"]})
    models = {m["id"] for m in client.get("/api/v1/models/", params={"limit": 1000}).json()}
    first.stop()

    (tmp_path / "before").rename(tmp_path / "after")
    second = BackendServer(root=tmp_path / "after").start()
    try:
        client = httpx.Client(base_url=second.base_url, timeout=60)
        assert {
            m["id"] for m in client.get("/api/v1/models/", params={"limit": 1000}).json()
        } == models
        predict = {"model_id": accepted["model_id"], "texts": ["you idiot"]}
        assert client.post("/api/v1/models/predict", json=predict).status_code == 200
        assert client.get(f"/api/v1/datasets/{dataset['id']}/file").status_code == 200
    finally:
        second.stop()
