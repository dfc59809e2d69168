"""Cross-site writes (CSRF) against real servers: a browser page from another origin
cannot change the API; programs, allowed origins and the server's own loopback page can."""

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from testkit.api import assert_problem
from testkit.servers import BackendServer

ALLOWED = "https://ui.example.org"
CSV = b"comment_text,toxic\ncross-site-a,0\ncross-site-b,1\n"


@pytest.fixture(scope="module")
def open_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BackendServer]:
    """No API_TOKEN (the local default), one allowed origin."""
    server = BackendServer(
        root=Path(tmp_path_factory.mktemp("cross-site")),
        env={"DEFAULT_MODELS": "false", "CORS_ORIGINS": f'["{ALLOWED}"]'},
    )
    yield server.start()
    server.stop()


def _upload(server: BackendServer, headers: dict[str, str]) -> httpx.Response:
    return httpx.post(
        f"{server.base_url}/api/v1/datasets",
        files={"file": ("x.csv", CSV, "text/csv")},
        headers=headers,
        timeout=30,
    )


def _datasets(server: BackendServer) -> int:
    return len(httpx.get(f"{server.base_url}/api/v1/datasets", timeout=30).json())


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "https://evil.example"},
        {"Origin": "null"},  # a sandboxed frame or a file:// page
        {"Origin": "http://127.0.0.1:1"},  # another local service
        {"Origin": "https://ui.example.org.evil.example"},
        {"Sec-Fetch-Site": "cross-site"},
        {"Origin": "https://evil.example", "Sec-Fetch-Site": "same-origin"},
    ],
)
def test_a_cross_site_upload_is_refused_unread(
    open_server: BackendServer, headers: dict[str, str]
) -> None:
    before = _datasets(open_server)
    body = assert_problem(_upload(open_server, headers), 403, "CORS_ORIGINS")
    assert body["title"] == "Forbidden"
    assert _datasets(open_server) == before
    assert list((open_server.datasets_dir / ".incoming").glob("*")) == []


def test_every_state_changing_method_is_guarded(open_server: BackendServer) -> None:
    evil = {"Origin": "https://evil.example"}
    client = httpx.Client(base_url=open_server.base_url, timeout=30, headers=evil)
    assert_problem(client.post("/api/v1/models/predict", json={"model_id": "x"}), 403)
    assert_problem(client.delete("/api/v1/models/remove_all"), 403)
    assert_problem(client.put("/api/v1/models/x"), 403)
    assert_problem(client.patch("/api/v1/models/x"), 403)
    # reading is not a state change; CORS keeps the answer from the page
    assert client.get("/api/v1/models/").status_code == 200


@pytest.mark.parametrize(
    "headers",
    [
        {},  # curl, httpx: no Origin, no Sec-Fetch-Site
        {"Origin": ALLOWED},
        {"Origin": ALLOWED + "/", "Sec-Fetch-Site": "cross-site"},  # named in CORS_ORIGINS
        {"Sec-Fetch-Site": "same-origin"},
        {"Sec-Fetch-Site": "none"},  # typed by the user
    ],
)
def test_programs_and_allowed_origins_pass(
    open_server: BackendServer, headers: dict[str, str]
) -> None:
    response = _upload(open_server, headers)
    assert response.status_code in (200, 201), response.text


def test_the_servers_own_loopback_page_passes_and_rebinding_does_not(
    open_server: BackendServer,
) -> None:
    own = f"http://127.0.0.1:{open_server.port}"
    assert _upload(open_server, {"Origin": own}).status_code in (200, 201)
    localhost = f"localhost:{open_server.port}"
    headers = {"Origin": f"http://{localhost}", "Host": localhost}
    assert _upload(open_server, headers).status_code in (200, 201)
    # DNS rebinding: a hostile name resolved to 127.0.0.1 looks same-origin to the browser
    rebound = f"attacker.example:{open_server.port}"
    headers = {"Origin": f"http://{rebound}", "Host": rebound}
    assert_problem(_upload(open_server, headers), 403)


def test_the_default_bind_address_is_loopback() -> None:
    from app.core.settings import Settings

    # `make run`, `make backend` and `python -m app` serve on BACKEND_HOST
    assert Settings.model_fields["backend_host"].default == "127.0.0.1"
