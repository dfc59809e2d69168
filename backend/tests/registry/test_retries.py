"""`retrying`: a registry call tried again while the database cannot be reached, until the
process stops (or a limit, where one is given); other errors at once."""

import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from app.core.errors import StartUpError
from app.registry.retries import first_line, is_unreachable, retrying, wait_for_database
from testkit.databases import admin_url, postgres_unavailable_reason
from testkit.relay import postgres_behind_relay
from testkit.servers import free_port


def _select_one(url: str) -> int:
    engine = create_engine(url, connect_args={"connect_timeout": 3})
    try:
        with engine.connect() as conn:
            return int(conn.execute(text("SELECT 1")).scalar_one())
    finally:
        engine.dispose()


def test_a_database_that_never_answers_is_given_up_after_the_limit() -> None:
    url = f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/test"  # nothing listens
    calls = 0

    def call() -> int:
        nonlocal calls
        calls += 1
        return _select_one(url)

    started = time.monotonic()
    with pytest.raises(OperationalError) as raised:
        retrying(call, what="a test read", until=threading.Event(), give_up_after_s=2)

    assert 2 <= calls <= 4  # at 0 s, 0.5 s, 1.5 s
    assert time.monotonic() - started < 5
    assert "Connection refused" in first_line(raised.value)
    assert "sqlalche.me" not in first_line(raised.value)  # SQLAlchemy's link line left out


def test_a_call_that_answers_after_a_cut_returns_its_result() -> None:
    with postgres_behind_relay() as (url, relay):
        relay.cut()
        calls = 0

        def call() -> int:
            nonlocal calls
            calls += 1
            if calls == 3:
                relay.restore()  # the database is back for the third try
            return _select_one(url)

        assert retrying(call, what="a test read", until=threading.Event()) == 1
        assert calls == 3


def test_other_errors_are_not_retried() -> None:
    calls = 0

    def call() -> None:
        nonlocal calls
        calls += 1
        raise ValueError("not the registry")

    with pytest.raises(ValueError):
        retrying(call, what="a test call", until=threading.Event())
    assert calls == 1


def test_with_no_limit_it_waits_until_the_process_stops() -> None:
    url = f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/test"  # nothing listens
    stopping = threading.Event()
    calls = 0

    def call() -> int:
        nonlocal calls
        calls += 1
        return _select_one(url)

    threading.Timer(4.0, stopping.set).start()  # the server stops while it waits
    started = time.monotonic()
    with pytest.raises(OperationalError):
        retrying(call, what="a test read", until=stopping)

    # tried at 0 s, 0.5 s, 1.5 s and 3.5 s; the stop ends the pause that would last to 7.5 s
    assert calls == 4
    assert 3.9 <= time.monotonic() - started < 6


def test_once_the_process_stops_an_unreachable_registry_is_not_waited_for() -> None:
    url = f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/test"
    stopping = threading.Event()
    stopping.set()
    calls = 0

    def call() -> int:
        nonlocal calls
        calls += 1
        return _select_one(url)

    with pytest.raises(OperationalError):
        retrying(call, what="a test read", until=stopping)
    assert calls == 1


def _error_of(url: str, statement: str) -> Exception:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            conn.execute(text(statement))
    except Exception as exc:
        return exc
    finally:
        engine.dispose()
    raise AssertionError(f"{statement} did not fail")


def test_only_errors_that_waiting_can_cure_count_as_unreachable(tmp_path: Path) -> None:
    refused = _error_of(f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/test", "SELECT 1")
    assert isinstance(refused, OperationalError) and is_unreachable(refused)
    # SQLite is a file: its errors (here an OperationalError too) do not go away by waiting
    missing = _error_of(f"sqlite:///{tmp_path / 'r.db'}", "SELECT * FROM nothing_here")
    assert isinstance(missing, OperationalError) and not is_unreachable(missing)
    assert not is_unreachable(ValueError("not the registry"))


def test_a_cancelled_query_is_not_unreachable() -> None:
    reason = postgres_unavailable_reason()
    if reason:
        pytest.skip(reason)
    cancelled = _error_of(admin_url(), "SET statement_timeout = 50; SELECT pg_sleep(2)")
    assert isinstance(cancelled, OperationalError)  # psycopg's QueryCanceled, SQLSTATE 57014
    assert not is_unreachable(cancelled)


def test_at_start_up_a_database_that_never_answers_is_waited_for_then_refused(
    caplog: pytest.LogCaptureFixture,
) -> None:
    port = free_port()  # nothing listens
    engine = create_engine(f"postgresql+psycopg://someone:hunter2@127.0.0.1:{port}/test")
    started = time.monotonic()
    with pytest.raises(StartUpError) as refused:
        wait_for_database(engine, timeout_s=2)
    assert 2 <= time.monotonic() - started < 5
    reason = str(refused.value)
    assert reason.startswith(f"the database at 127.0.0.1:{port}/test could not be reached in 2 s")
    assert "hunter2" not in reason and "someone" not in reason
    assert f"waiting for the database at 127.0.0.1:{port}/test" in caplog.text
    assert "hunter2" not in caplog.text


def test_at_start_up_a_database_that_comes_up_meanwhile_is_used() -> None:
    with postgres_behind_relay() as (url, relay):
        relay.cut()
        threading.Timer(1.5, relay.restore).start()
        engine = create_engine(url)
        started = time.monotonic()
        wait_for_database(engine, timeout_s=30)
        assert 1.5 <= time.monotonic() - started < 10
        with engine.connect() as conn:
            assert conn.execute(text("SELECT 1")).scalar_one() == 1
        engine.dispose()


def test_at_start_up_the_servers_own_refusal_ends_the_reason() -> None:
    """A database not created yet (an init script may still run) is waited for as well,
    and the last refusal is what the operator reads."""
    reason = postgres_unavailable_reason()
    if reason:
        pytest.skip(reason)
    url = make_url(admin_url()).set(drivername="postgresql+psycopg", database="no_such_db_here")
    engine = create_engine(url)
    with pytest.raises(StartUpError, match='database "no_such_db_here" does not exist'):
        wait_for_database(engine, timeout_s=1)
