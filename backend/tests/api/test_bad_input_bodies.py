"""Slow, oversized and doubly authorised requests (issue 13, classes 5 and 10), against a
real server with a token, small limits and a short body read timeout: every body has a
limit whatever its type, the token is checked before a byte of the body is read, a
stalled body is answered 408 and leaves no partial file nor descriptor behind, and two
Authorization headers are refused by every route alike."""

import os
import socket
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from testkit.api import assert_problem
from testkit.rawhttp import connect, is_closed, read_response, request_head
from testkit.samples import labelled_csv
from testkit.servers import BackendServer

TOKEN = "t0ken-for-body-tests"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
TIMEOUT_S = 1.0
STALLED = 50
MIB = 1024 * 1024
ROUTES = [
    ("POST", "/api/v1/models/predict"),  # reads its body itself
    ("POST", "/api/v1/models/fit"),  # a body FastAPI reads before the route
    ("POST", "/api/v1/models/predict_scores"),
    ("POST", "/api/v1/datasets"),  # an upload, streamed
    ("GET", "/api/v1/models/"),  # no body expected
]


@pytest.fixture(scope="module")
def gated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BackendServer]:
    server = BackendServer(
        root=Path(tmp_path_factory.mktemp("gated")),
        env={
            "API_TOKEN": TOKEN,
            "MAX_JSON_MB": "1",
            "MAX_UPLOAD_MB": "2",
            "BODY_READ_TIMEOUT_SECONDS": str(TIMEOUT_S),
            "DEFAULT_MODELS": "false",
            "TRAINING_WORKERS": "1",
        },
    )
    server.start()
    yield server
    server.stop()


def _client(server: BackendServer, **headers: str) -> httpx.Client:
    return httpx.Client(base_url=server.base_url, timeout=60, headers={**AUTH, **headers})


def _incoming(server: BackendServer) -> list[Path]:
    return list((server.datasets_dir / ".incoming").glob("*"))


def _descriptors(server: BackendServer) -> int:
    assert server.process is not None
    return len(os.listdir(f"/proc/{server.process.pid}/fd"))


@pytest.mark.parametrize(
    "content_type", ["application/json", "text/plain", "application/octet-stream", None]
)
@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
@pytest.mark.parametrize("path", ["/api/v1/models/predict", "/api/v1/models/fit"])
def test_every_body_has_a_limit(
    gated: BackendServer, content_type: str | None, chunked: bool, path: str
) -> None:
    body = b"x" * (MIB + 1)
    headers = {"Content-Type": content_type} if content_type else {}
    content = iter([body[i : i + 65536] for i in range(0, len(body), 65536)]) if chunked else body
    with _client(gated) as client:
        answer = client.post(path, content=content, headers=headers)
        if chunked and path.endswith("/predict") and content_type != "application/json":
            # no size declared: refused for its type before a byte is read (fit's
            # body is read first, up to the limit)
            assert_problem(answer, 422, "expects application/json")
        else:
            assert_problem(answer, 413, "1 MiB")
        # the connection and the server serve the next request
        assert client.get("/api/v1/models/").status_code == 200


def test_an_upload_over_the_limit_without_content_length(gated: BackendServer) -> None:
    boundary = uuid.uuid4().hex
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.csv"\r\n\r\n'
    ).encode()

    def chunks() -> Iterator[bytes]:
        yield head + b"text,label\n"
        for _ in range(5 * 16):  # 5 MiB, over the 2 MiB limit
            yield b"some text,1\n" * 5461
        yield f"\r\n--{boundary}--\r\n".encode()

    headers = {"Content-Type": f"multipart/form-data; boundary={boundary}"}
    with _client(gated) as client:
        answer = client.post("/api/v1/datasets", content=chunks(), headers=headers)
    assert_problem(answer, 413, "2 MiB")
    assert _incoming(gated) == []


@pytest.mark.parametrize(("method", "path"), ROUTES)
def test_the_token_is_checked_before_the_body_is_read(
    gated: BackendServer, method: str, path: str
) -> None:
    """A 300 MB body announced, a few bytes sent: the 401 comes at once."""
    with connect(gated.base_url, timeout=10) as sock:
        headers = {"Content-Type": "text/plain", "Content-Length": str(300 * MIB)}
        sock.sendall(request_head(method, path, headers) + b"just the start")
        started = time.monotonic()
        answer = read_response(sock)
        assert answer.status == 401, answer.body
        assert time.monotonic() - started < TIMEOUT_S  # not a read timeout's answer
        assert answer.headers["www-authenticate"] == "Bearer"


def test_a_declared_size_over_the_limit_is_refused_before_reading(gated: BackendServer) -> None:
    with connect(gated.base_url, timeout=10) as sock:
        headers = {**AUTH, "Content-Type": "application/json", "Content-Length": str(300 * MIB)}
        sock.sendall(request_head("POST", "/api/v1/models/predict", headers) + b'{"model_id"')
        answer = read_response(sock)
    assert answer.status == 413 and answer.headers["content-type"] == "application/problem+json"


def _stall(server: BackendServer, kind: str) -> socket.socket:
    sock = connect(server.base_url, timeout=30)
    if kind == "upload":
        boundary = uuid.uuid4().hex
        body = (
            f"--{boundary}\r\n"
            'Content-Disposition: form-data; name="file"; filename="slow.csv"\r\n\r\n'
        ).encode() + labelled_csv(200)
        headers = {
            **AUTH,
            "Content-Type": f"multipart/form-data; boundary={boundary}",
            "Content-Length": str(len(body) + 10_000),
        }
        sock.sendall(request_head("POST", "/api/v1/datasets", headers) + body)
    elif kind == "json":
        headers = {**AUTH, "Content-Type": "application/json", "Content-Length": "1000"}
        sock.sendall(request_head("POST", "/api/v1/models/fit", headers) + b'{"name": "x", ')
    else:  # a chunked body that stops after its first chunk
        headers = {**AUTH, "Content-Type": "application/json", "Transfer-Encoding": "chunked"}
        sock.sendall(request_head("POST", "/api/v1/models/predict", headers) + b'2\r\n{"\r\n')
    return sock


def test_stalled_bodies_get_408_and_leave_nothing_open(gated: BackendServer) -> None:
    with _client(gated) as client:  # warm: the first requests open what stays open
        assert client.get("/api/v1/models/").status_code == 200
    time.sleep(0.5)
    before = _descriptors(gated)
    kinds = ["upload", "json", "chunked"]
    sockets = [_stall(gated, kinds[i % len(kinds)]) for i in range(STALLED)]
    try:
        time.sleep(0.3)
        assert any(p.suffix == ".part" for p in _incoming(gated))  # the uploads began
        for sock in sockets:
            answer = read_response(sock)
            assert answer.status == 408, answer.body
            assert answer.headers["content-type"] == "application/problem+json"
            assert "stalled" in answer.json()["detail"]
            assert is_closed(sock)
    finally:
        for sock in sockets:
            sock.close()
    assert _incoming(gated) == []
    deadline = time.monotonic() + 10
    while _descriptors(gated) > before and time.monotonic() < deadline:
        time.sleep(0.2)
    assert _descriptors(gated) <= before
    with _client(gated) as client:
        assert client.get("/api/v1/models/").status_code == 200


def test_a_slow_but_steady_body_is_read(gated: BackendServer) -> None:
    content = labelled_csv(300, seed=int(uuid.uuid4().int % 10**6))
    pieces = [content[i : i + 2000] for i in range(0, len(content), 2000)]

    def slowly() -> Iterator[bytes]:
        for piece in pieces:
            time.sleep(TIMEOUT_S / 4)
            yield piece

    boundary = uuid.uuid4().hex
    head = f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="s.csv"\r\n\r\n'
    body = [head.encode(), *slowly(), f"\r\n--{boundary}--\r\n".encode()]
    headers = {"Content-Type": f"multipart/form-data; boundary={boundary}"}
    with _client(gated) as client:
        answer = client.post("/api/v1/datasets", content=iter(body), headers=headers)
    assert answer.status_code == 201, answer.text


@pytest.mark.parametrize(("method", "path"), ROUTES)
@pytest.mark.parametrize(
    "values",
    [
        (f"Bearer {TOKEN}", f"Bearer {TOKEN}"),
        (f"Bearer {TOKEN}", "Bearer nope"),
        ("Bearer nope", f"Bearer {TOKEN}"),
    ],
    ids=["same", "good-then-bad", "bad-then-good"],
)
def test_two_authorization_headers_are_refused_everywhere(
    gated: BackendServer, method: str, path: str, values: tuple[str, str]
) -> None:
    headers = [("Authorization", values[0]), ("Authorization", values[1])]
    with httpx.Client(base_url=gated.base_url, timeout=30) as client:
        answer = client.request(method, path, headers=headers, json={"model_id": "m"})
        assert_problem(answer, 401, "one Authorization header")
        # one header with the token opens the same route
        one = client.request(method, path, headers=AUTH, json={"model_id": "m"})
        assert one.status_code != 401, one.text
