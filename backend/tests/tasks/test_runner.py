"""The local pool's relay of a fit's events: a start the registry could not take (it was
unreachable) is handed on again before the task's next event, so the task still shows
running, with its progress, once the registry answers. And a worker dies with its server:
a `kill -9` of the server ends a running fit's worker within seconds, and it writes nothing.
A stopped runner (the server shuts down) starts no pool."""

import fcntl
import os
import sys
import threading
import time
from concurrent.futures import Future
from pathlib import Path
from typing import Any

import httpx
import psutil
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

from app.core.errors import UnavailableError
from app.ml.training import TrainResult, TrainSpec
from app.tasks import ownership
from app.tasks.runner import TrainingRunner
from testkit.api import fit, upload_csv, wait_running
from testkit.samples import SLOW_PARAMS, labelled_csv, slow_csv
from testkit.servers import BackendServer, free_port
from testkit.training import train_spec


def _refused() -> OperationalError:
    """What the registry raises while PostgreSQL cannot be reached (nothing listens)."""
    engine = create_engine(f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/test")
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except OperationalError as exc:
        return exc
    finally:
        engine.dispose()
    raise AssertionError("nothing listens, yet it answered")


def _spec(tmp_path: Path) -> TrainSpec:
    data = tmp_path / "data.csv"
    data.write_bytes(labelled_csv(3000))
    ownership.create(tmp_path / "m.zip")  # as a fit is queued: its worker may write it
    return train_spec(data, tmp_path / "m.zip")


def test_a_start_the_registry_could_not_take_is_handed_on_before_the_next_event(
    tmp_path: Path,
) -> None:
    refused = _refused()
    handed: list[tuple[Any, ...]] = []  # what the handler was given, in order
    recorded: list[str] = []  # what it could record

    def on_event(event: tuple[Any, ...]) -> None:
        handed.append(event)
        if event[0] == "started" and handed.count(event) == 1:
            raise refused  # the registry is gone for the start, back for what follows
        recorded.append(event[0])

    ended = threading.Event()

    def on_done(task_id: str, future: "Future[TrainResult]") -> None:
        future.result()
        ended.set()

    runner = TrainingRunner(1, on_event, idle_seconds=60)
    runner.start()
    try:
        runner.submit("t1", _spec(tmp_path), on_done)
        assert ended.wait(120), "the fit never ended"
    finally:
        runner.stop()

    kinds = [event[0] for event in handed]
    assert kinds[:3] == ["started", "started", "progress"], kinds
    assert handed[0] == handed[1]  # the same start (its pid), handed on again
    assert recorded[0] == "started" and recorded.count("started") == 1
    assert "progress" in recorded[1:]


def test_an_event_whose_handler_fails_otherwise_is_not_handed_on_again(tmp_path: Path) -> None:
    handed: list[str] = []

    def on_event(event: tuple[Any, ...]) -> None:
        handed.append(event[0])
        if event[0] == "started":
            raise ValueError("a bug, not an outage: another try would fail the same way")

    ended = threading.Event()
    runner = TrainingRunner(1, on_event, idle_seconds=60)
    runner.start()
    try:
        runner.submit("t1", _spec(tmp_path), lambda task_id, future: ended.set())
        assert ended.wait(120), "the fit never ended"
    finally:
        runner.stop()

    assert handed.count("started") == 1
    assert "progress" in handed


def test_a_stopped_runner_starts_no_pool(tmp_path: Path) -> None:
    """Start-up work that queues a fit while the server shuts down is refused: no worker
    starts after the shutdown stopped the pools."""
    runner = TrainingRunner(1, lambda event: None, idle_seconds=60)
    runner.start()
    runner.stop()

    with pytest.raises(UnavailableError, match="the server is shutting down"):
        runner.submit("t1", _spec(tmp_path), lambda task_id, future: None)
    assert runner.pools_running() == []
    assert runner.task_ids() == []


def _running(processes: list[psutil.Process]) -> list[psutil.Process]:
    """Those still running (a zombie is dead: its parent, if any, has not reaped it yet)."""
    alive = []
    for process in processes:
        try:
            if process.is_running() and process.status() != psutil.STATUS_ZOMBIE:
                alive.append(process)
        except psutil.NoSuchProcess:
            pass
    return alive


@pytest.mark.skipif(sys.platform != "linux", reason="/proc and PR_SET_PDEATHSIG are Linux's")
def test_a_running_fit_ends_with_its_killed_server_and_writes_nothing(tmp_path: Path) -> None:
    """The worker's parent is the forkserver, which outlives the server while a worker is
    busy (the worker holds its "alive" pipe): the worker must still end within seconds,
    drop its bundle's lock, and never write the bundle."""
    server = BackendServer(root=tmp_path).start()
    assert server.process is not None
    tree: list[psutil.Process] = []
    try:
        client = httpx.Client(base_url=server.base_url, timeout=60)
        dataset = upload_csv(client, slow_csv(), "slow.csv").json()
        job = fit(client, dataset["id"], name="orphan", params=SLOW_PARAMS)
        task = wait_running(client, job["task_id"])
        worker = psutil.Process(int(task["worker"].removeprefix("local pid ")))
        tree = psutil.Process(server.process.pid).children(recursive=True)
        assert worker in tree
        assert worker.parent() != psutil.Process(server.process.pid)  # the forkserver's child
        bundles = set(server.models_dir.glob("*.zip"))
        lock = ownership.lock_path(server.models_dir / f"{job['model_id']}.zip")
        assert lock.exists()

        server.stop(kill=True)  # SIGKILL: no shutdown code runs
        deadline = time.monotonic() + 5
        while _running([worker]) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not _running([worker]), "the training worker outlived its killed server"
        time.sleep(2)  # an orphan would go on writing
        assert set(server.models_dir.glob("*.zip")) == bundles
        fd = os.open(lock, os.O_RDWR)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # the worker's lock is dropped
        finally:
            os.close(fd)
        assert not _running(tree), f"left running: {_running(tree)}"
    finally:
        server.stop(kill=True)
        for process in _running(tree):
            process.kill()
