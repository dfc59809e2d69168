"""A real backend whose PostgreSQL goes away for a while (a relay in between, cut): the
requests that need the registry answer 503 with Retry-After, not 500; the server stays
alive and answers again, with no restart, once the database is back."""

from collections.abc import Iterator

import httpx
import pytest

from testkit.api import assert_problem
from testkit.relay import Relay, postgres_behind_relay
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
