"""A real server (`python -m app`) that cannot start says why in its log, readably: a
database that cannot be reached is waited for, within DB_START_TIMEOUT, then the server
exits with one line that names where (never the password); a database that comes up
meanwhile is used; a registry that a newer release upgraded is refused with what to do;
any other failure shows its reason on the line and its traceback on real lines below."""

import re
import threading
import time
from datetime import datetime
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text

from app.registry.sql import SqlRegistry
from testkit.relay import postgres_behind_relay
from testkit.servers import BackendServer, free_port

ENV = {"DEFAULT_MODELS": "false", "TRAINING_WORKERS": "1"}
STAMP = re.compile(r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}) ")


def failed_start(server: BackendServer) -> str:
    """Start the server, expecting it to exit non-zero; its output."""
    try:
        with pytest.raises(RuntimeError, match="the server exited"):
            server.start()
    finally:
        server.stop()  # were it to start after all, it must not outlive the test
    assert server.process is not None and server.process.returncode not in (0, None)
    return server.output()


def line_with(output: str, fragment: str) -> str:
    lines = [line for line in output.splitlines() if fragment in line]
    assert lines, output[-3000:]
    return lines[0]


def moment(line: str) -> datetime:
    found = STAMP.match(line)
    assert found, line
    return datetime.strptime(found.group(1), "%Y-%m-%d %H:%M:%S,%f")


def test_an_unreachable_database_is_waited_for_then_the_server_exits_saying_why(
    tmp_path: Path,
) -> None:
    port = free_port()  # nothing listens
    server = BackendServer(
        root=tmp_path,
        database_url=f"postgresql://someone:hunter2@127.0.0.1:{port}/registry",
        env={**ENV, "DB_START_TIMEOUT": "3"},
    )
    started = time.monotonic()
    output = failed_start(server)
    assert time.monotonic() - started < 120  # imports, then 3 s of waiting
    waiting = line_with(output, f"waiting for the database at 127.0.0.1:{port}/registry")
    reason = line_with(output, "the server cannot start: ")
    assert reason.endswith(
        f"the server cannot start: the database at 127.0.0.1:{port}/registry could not be "
        'reached in 3 s (DB_START_TIMEOUT): connection failed: connection to server at "127.0.0.1"'
        f", port {port} failed: Connection refused. Is it running, and is DATABASE_URL right?"
    )
    assert 2.5 <= (moment(reason) - moment(waiting)).total_seconds() <= 6
    assert "Traceback" not in output  # the reason says it all
    assert "hunter2" not in output


def test_a_database_that_comes_up_during_the_wait_is_used(tmp_path: Path) -> None:
    with postgres_behind_relay() as (url, relay):
        relay.cut()
        server = BackendServer(root=tmp_path, database_url=url, env=ENV)

        def restore_once_it_waits() -> None:
            deadline = time.monotonic() + 180
            while "waiting for the database at" not in server.output():
                if time.monotonic() > deadline:
                    return
                time.sleep(0.2)
            relay.restore()

        restorer = threading.Thread(target=restore_once_it_waits, daemon=True)
        restorer.start()
        try:
            server.start()
            assert httpx.get(f"{server.base_url}/readyz", timeout=30).status_code == 200
        finally:
            server.stop()
            relay.restore()
            restorer.join(5)
        line_with(server.output(), f"waiting for the database at 127.0.0.1:{relay.port}/")
        line_with(server.output(), "answers")


def test_a_registry_upgraded_by_a_newer_release_is_refused_with_what_to_do(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path / 'registry.db'}"
    registry = SqlRegistry(url)
    with registry.engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '0099_from_the_future'"))
    registry.close()
    output = failed_start(BackendServer(root=tmp_path, database_url=url, env=ENV))
    assert line_with(output, "the server cannot start: ").endswith(
        "the server cannot start: the database is at revision 0099_from_the_future, which "
        "this version of the product does not know: it was probably upgraded by a newer "
        "version; run that version, or restore a backup"
    )
    assert "Traceback" not in output
    assert "Can't locate revision" not in output


def test_any_other_start_up_failure_shows_its_traceback_on_lines(tmp_path: Path) -> None:
    server = BackendServer(
        root=tmp_path, database_url="postgresql+nosuchdriver://someone@127.0.0.1/x", env=ENV
    )
    output = failed_start(server)
    lines = output.splitlines()
    headline = line_with(output, "the server failed: ")
    assert "ERROR uvicorn.error" in headline
    assert headline.endswith(
        "the server failed: NoSuchModuleError: Can't load plugin: "
        "sqlalchemy.dialects:postgresql.nosuchdriver"
    )
    after = lines[lines.index(headline) + 1 :]
    assert after[0] == "    Traceback (most recent call last):"
    assert any(line.startswith('      File "') for line in after)
    assert "\\n" not in headline
    # the same in the log file
    log = (server.logs_dir / "backend" / "backend.log").read_text()
    assert "\n    Traceback (most recent call last):\n" in log
