"""Log forging and flooding against a real server: what a client sends cannot start a log
line, and a flood of bad requests writes a bounded number of warnings."""

import re
import socket
import time

import httpx

from testkit.servers import BackendServer

RECORD_START = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} [A-Z]+ ")


def _log_lines(server: BackendServer) -> list[str]:
    time.sleep(0.2)  # the handlers write as the server goes; give the last lines a moment
    text = (server.logs_dir / "backend" / "backend.log").read_text(encoding="utf-8")
    return text.split("\n")[:-1]


def _raw_request(server: BackendServer, request: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall(request)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
        return answer


def _multipart(disposition: bytes, content: bytes) -> bytes:
    return (
        b'--b\r\nContent-Disposition: form-data; name="file"; '
        + disposition
        + b"\r\nContent-Type: text/csv\r\n\r\n"
        + content
        + b"\r\n--b--\r\n"
    )


def test_control_characters_from_clients_are_escaped(sqlite_server: BackendServer) -> None:
    forged = "2026-12-02 12:00:00,000 INFO app.requests [1] FORGED"
    # a line feed (percent-encoded) in a path, a CR and NUL too
    httpx.get(
        f"{sqlite_server.base_url}/api/v1/datasets/x%0A" + forged.replace(" ", "%20") + "%0D%00"
    )
    # an upload name with ESC and U+2028 (a raw CR or LF cannot pass the multipart reader)
    body = _multipart(
        'filename="esc\x1b\u2028FORGED-NAME.csv"'.encode(), b"comment_text,toxic\nlog-a,0\nb,1\n"
    )
    stored = httpx.post(
        f"{sqlite_server.base_url}/api/v1/datasets",
        content=body,
        headers={"content-type": "multipart/form-data; boundary=b"},
    )
    assert stored.status_code in (200, 201), stored.text
    # a method with control characters in it, sent raw
    answer = _raw_request(sqlite_server, b"GE\x1bT\r /x HTTP/1.1\r\nHost: a\r\n\r\n")
    assert answer.startswith(b"HTTP/1.1 400")

    lines = _log_lines(sqlite_server)
    for line in lines:
        assert RECORD_START.match(line) or line.startswith("    "), line
        assert not re.search("[\x00-\x1f\x7f-\x9f\u2028\u2029]", line), line
    path_line = next(line for line in lines if "FORGED" in line and "app.requests" in line)
    assert "/api/v1/datasets/x\\n2026-12-02 12:00:00,000 INFO app.requests [1] FORGED\\r\\0" in (
        path_line
    )
    # the upload name loses its control characters before it is stored or logged
    assert any("escFORGED-NAME.csv" in line for line in lines)


def test_a_flood_of_made_up_methods_writes_few_warnings(sqlite_server: BackendServer) -> None:
    before = len(_log_lines(sqlite_server))
    started = time.monotonic()
    for i in range(3000):
        answer = _raw_request(sqlite_server, f"MADEUP{i} / HTTP/1.1\r\nHost: a\r\n\r\n".encode())
        assert answer.startswith(b"HTTP/1.1 400"), answer[:100]
    assert time.monotonic() - started < 60
    new = _log_lines(sqlite_server)[before:]
    invalid = [line for line in new if "Invalid HTTP request" in line]
    assert 1 <= len(invalid) <= 10, len(invalid)
    assert len(new) < 50, new[:60]
    # the server still answers normally
    assert httpx.get(f"{sqlite_server.base_url}/healthz").status_code == 200
