"""How a real server stops, and that it stops quietly.

Ctrl-C in the terminal that runs `make run` sends SIGINT to every process of its foreground
group, the server and its children alike (the prediction process, the training workers):
the server shuts down with exit code 0, no traceback from any child, and a fit that was
running ends as the shutdown ends it (the server's words), not as a KeyboardInterrupt in
its worker; the same just after the start, while the children still import and the
default models are being queued. SIGTERM (`docker stop`) ends it with status 143 as an
exit, whose clean-up leaves the resource tracker nothing to warn about. Either ends a
wait for a database at once."""

import os
import signal
import time
from pathlib import Path

import httpx
import pytest

from app.services.fit_endings import INTERRUPTED
from testkit.api import fit, upload_csv, wait_running
from testkit.processes import in_session
from testkit.samples import SLOW_PARAMS, slow_csv
from testkit.servers import BackendServer, free_port, serving


def test_ctrl_c_stops_the_server_and_its_children_quietly(tmp_path: Path) -> None:
    # a session of its own, as a terminal's foreground group: SIGINT reaches all of it
    server = BackendServer(root=tmp_path, env={"TRAINING_WORKERS": "1"}, launcher=["setsid"])
    with serving(server), httpx.Client(base_url=server.base_url, timeout=60) as client:
        default = next(m for m in client.get("/api/v1/models").json() if m["is_default"])
        body = {"model_id": default["id"], "texts": ["thanks for the edit"]}
        assert client.post("/api/v1/models/predict", json=body).status_code == 200
        dataset = upload_csv(client, slow_csv(3000), "slow.csv").json()
        task_id = fit(client, dataset["id"], name="running", params=SLOW_PARAMS)["task_id"]
        wait_running(client, task_id)
        assert server.process is not None
        os.killpg(server.process.pid, signal.SIGINT)
        assert server.process.wait(timeout=60) == 0
    output = server.output()
    assert "Traceback" not in output and "KeyboardInterrupt" not in output, output[-3000:]
    with serving(server), httpx.Client(base_url=server.base_url, timeout=60) as client:
        task = client.get(f"/api/v1/tasks/{task_id}").json()
    assert (task["status"], task["error"]) == ("failed", INTERRUPTED), task


def test_ctrl_c_just_after_the_start_is_quiet(tmp_path: Path) -> None:
    """The prediction process and the forkserver are importing, and the default models are
    being queued, when the terminal's SIGINT reaches them all."""
    server = BackendServer(root=tmp_path, env={"TRAINING_WORKERS": "1"}, launcher=["setsid"])
    process = server.launch()
    try:
        _until_it_says(server, "Application startup complete")
        os.killpg(process.pid, signal.SIGINT)
        assert process.wait(timeout=60) == 0
    finally:
        server.stop(kill=True)
    _wait_until_gone(session=process.pid)
    output = server.output()
    for noise in ("Traceback", "KeyboardInterrupt", " ERROR "):
        assert noise not in output, output[-5000:]


def test_sigterm_ends_the_server_as_an_exit_that_cleans_up(tmp_path: Path) -> None:
    server = BackendServer(root=tmp_path, env={"TRAINING_WORKERS": "1"}, launcher=["setsid"])
    with serving(server):  # ready: its training pool and prediction process are up
        assert server.process is not None
        server.process.send_signal(signal.SIGTERM)
        assert server.process.wait(timeout=60) == 128 + signal.SIGTERM
    _wait_until_gone(session=server.process.pid)  # the resource tracker speaks last
    output = server.output()
    assert "Finished server process" in output
    assert "leaked" not in output and "Traceback" not in output, output[-3000:]


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_a_stop_ends_the_wait_for_the_database_at_once(tmp_path: Path, signum: int) -> None:
    server = BackendServer(
        root=tmp_path,
        database_url=f"postgresql://someone@127.0.0.1:{free_port()}/registry",  # none listens
        env={"DEFAULT_MODELS": "false", "DB_START_TIMEOUT": "300"},
        launcher=["setsid"],
    )
    process = server.launch()
    try:
        _until_it_says(server, "waiting for the database at")
        os.killpg(process.pid, signum)
        asked = time.monotonic()
        assert process.wait(timeout=60) == 128 + signum
        assert time.monotonic() - asked < 5
    finally:
        server.stop(kill=True)
    output = server.output()
    assert "stopped while waiting for the database" in output
    assert "Traceback" not in output and "the server cannot start" not in output, output


def _until_it_says(server: BackendServer, words: str, timeout: float = 120) -> None:
    """Until the running server's output holds `words`."""
    assert server.process is not None
    deadline = time.monotonic() + timeout
    while words not in server.output():
        assert server.process.poll() is None, server.output()
        assert time.monotonic() < deadline, server.output()
        time.sleep(0.02)


def _wait_until_gone(session: int, timeout: float = 30) -> None:
    """Until no process of the session is left (the server's children, its forkserver, the
    multiprocessing resource tracker)."""
    deadline = time.monotonic() + timeout
    while left := in_session(session):
        assert time.monotonic() < deadline, f"still running: {left}"
        time.sleep(0.1)
