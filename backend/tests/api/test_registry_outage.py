"""A real backend whose PostgreSQL goes away for a while (a relay in between, cut): the
requests that need the registry answer 503 with Retry-After, not 500; the server stays
alive and answers again, with no restart, once the database is back; and a server stopped
meanwhile stops at once."""

import signal
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from testkit.api import assert_problem, fit, upload_csv, wait_running
from testkit.relay import Relay, postgres_behind_relay
from testkit.samples import labelled_csv
from testkit.servers import BackendServer, serving


@pytest.fixture(scope="module")
def backend(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[BackendServer, Relay]]:
    with postgres_behind_relay() as (url, relay):
        server = BackendServer(
            root=tmp_path_factory.mktemp("outage"),
            database_url=url,
            env={"DEFAULT_MODELS": "false"},
        )
        with serving(server):
            yield server, relay
        relay.restore()


def test_requests_answer_503_while_the_registry_is_gone_then_200(
    backend: tuple[BackendServer, Relay],
) -> None:
    server, relay = backend
    with httpx.Client(base_url=server.base_url, timeout=60) as client:
        assert client.get("/api/v1/models/").status_code == 200
        relay.cut()
        try:
            answer = client.get("/api/v1/models/")
            assert_problem(answer, 503, "the registry cannot be reached")
            assert answer.headers["retry-after"] == "5"
            assert "sqlalche.me" not in answer.text  # one line of the driver, no links
            assert_problem(client.get("/readyz"), 503, "the registry cannot be reached")
            assert client.get("/healthz").status_code == 200  # alive all the same
        finally:
            relay.restore()

        assert client.get("/api/v1/models/").status_code == 200  # the same connection
        assert client.get("/readyz").status_code == 200
    output = server.output()
    line = "the registry cannot be reached on GET /api/v1/models/"
    assert line in output, output[-2000:]
    assert "Traceback" not in output[output.index(line) :]  # a line per request, no traceback


def test_a_server_that_stops_while_the_registry_is_gone_stops_at_once(tmp_path: Path) -> None:
    """Its fits' ends are not waited for (the database may never come back); the next
    start's recovery records them as interrupted."""
    with postgres_behind_relay() as (url, relay):
        server = BackendServer(
            root=tmp_path,
            database_url=url,
            env={"DEFAULT_MODELS": "false", "TRAINING_WORKERS": "1"},
        )
        with serving(server), httpx.Client(base_url=server.base_url, timeout=60) as client:
            dataset = upload_csv(client, labelled_csv(40_000, seed=5)).json()
            running = fit(client, dataset["id"], name="running")
            wait_running(client, running["task_id"])
            queued = fit(client, dataset["id"], name="queued")  # one worker: it waits
            assert client.get(f"/api/v1/tasks/{queued['task_id']}").json()["status"] == "queued"
            relay.cut()
            assert server.process is not None
            started = time.monotonic()
            server.process.send_signal(signal.SIGTERM)
            server.process.wait(timeout=120)
            stopped_in = time.monotonic() - started
            output = server.output()

            relay.restore()
            server.start()
            tasks = {
                name: client.get(f"/api/v1/tasks/{fitted['task_id']}").json()
                for name, fitted in (("running", running), ("queued", queued))
            }

    assert stopped_in < 20, output[-3000:]  # before: each end waited 5 min for the registry
    assert "its end was not recorded, the registry cannot be reached" in output
    for task in tasks.values():
        assert task["status"] == "failed", task
        assert "server stopped" in task["error"], task
