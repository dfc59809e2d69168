"""`retrying`: a registry call tried again while the database cannot be reached, up to a
limit; other errors at once."""

import time

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

from app.registry.retries import first_line, retrying
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
        retrying(call, what="a test read", give_up_after_s=2)

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

        assert retrying(call, what="a test read", give_up_after_s=30) == 1
        assert calls == 3


def test_other_errors_are_not_retried() -> None:
    calls = 0

    def call() -> None:
        nonlocal calls
        calls += 1
        raise ValueError("not the registry")

    with pytest.raises(ValueError):
        retrying(call, what="a test call")
    assert calls == 1
