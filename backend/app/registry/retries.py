"""Registry calls that outlast a database that cannot be reached (it restarts, its host
name does not resolve for a while): the writes that end a task, whose loss would leave the
task running for good, are tried again until the database answers or the process stops
(then the next start's recovery ends the task), instead of given up. At start-up, a
database that cannot be reached yet is waited for, for a bounded time
(`wait_for_database`)."""

import logging
import sqlite3
import threading
import time
from collections.abc import Callable
from typing import TypeVar

from sqlalchemy import URL, Engine, create_engine
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.pool import NullPool

from app.core.errors import StartUpError

log = logging.getLogger(__name__)

T = TypeVar("T")

# PostgreSQL's SQLSTATEs for "the server is going away or not there yet": class 08
# (connection exception), and the server shutting down, crashed or starting up
_UNREACHABLE_STATES = ("08", "57P01", "57P02", "57P03")
FIRST_PAUSE_S = 0.5
LONGEST_PAUSE_S = 30.0
# at start-up: tries at most this far apart, a line in the log at most this often, and
# no connection attempt longer than this (an address that drops packets hangs, else)
START_PAUSE_S = 2.0
START_LOG_EVERY_S = 5.0
START_CONNECT_TIMEOUT_S = 10


def is_unreachable(exc: BaseException) -> bool:
    """The database cannot be reached (a refused or dropped connection, a host name that
    does not resolve, a server shutting down or starting up): an error that may go away
    by itself. Not a full disk, a cancelled query, a missing table, nor any SQLite error
    (a file, not a server: its errors do not go away by waiting)."""
    if not isinstance(exc, OperationalError | InterfaceError):
        return False
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return True  # the connection was lost under this statement
    if isinstance(exc.orig, sqlite3.Error):
        return False
    state = getattr(exc.orig, "sqlstate", None)  # None: libpq's own, a connection failure
    return state is None or state.startswith(_UNREACHABLE_STATES)


def first_line(exc: Exception) -> str:
    """The DBAPI's message without SQLAlchemy's "(Background on this error at: …)" line."""
    return str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]


def retrying(
    call: Callable[[], T],
    *,
    what: str,
    until: threading.Event,
    give_up_after_s: float | None = None,
) -> T:
    """`call()`, tried again after 0.5 s, 1 s, 2 s, … (at most 30 s apart) while the
    registry cannot be reached, until `until` is set (the process stops) or, if given,
    `give_up_after_s` has passed; then its error is raised."""
    deadline = None if give_up_after_s is None else time.monotonic() + give_up_after_s
    pause = FIRST_PAUSE_S
    while True:
        try:
            return call()
        except (OperationalError, InterfaceError) as exc:
            if not is_unreachable(exc) or until.is_set():
                raise
            if deadline is not None and time.monotonic() + pause > deadline:
                raise
            log.warning(
                "%s: the registry cannot be reached (%s); trying again in %.1f s",
                what, first_line(exc), pause,
            )  # fmt: skip
            if until.wait(pause):
                raise
            pause = min(pause * 2, LONGEST_PAUSE_S)


def address(url: URL) -> str:
    """Where a database is, for the log: host, port and database name, never the password
    (nor the user)."""
    port = url.port or (5432 if url.get_backend_name() == "postgresql" else None)
    return f"{url.host or 'localhost'}{f':{port}' if port else ''}/{url.database or ''}"


def wait_for_database(engine: Engine, *, timeout_s: float) -> None:
    """At start-up: return once the database answers; while it cannot be reached (not up
    yet, a host name that does not resolve yet), try again, saying so in the log every few
    seconds, for `timeout_s` in all; then a StartUpError that says where and why. A
    refusal by the server itself (a database or role not created yet) is waited out too:
    libpq does not tell it from a server starting up, and an init script may still be
    creating them; the last reason ends the message. A SQLite file is not waited for."""
    if engine.dialect.name == "sqlite":
        return
    where = address(engine.url)
    probe = _probe(engine, timeout_s)
    started = time.monotonic()
    deadline = started + timeout_s
    next_log = started
    try:
        while True:
            try:
                with probe.connect():
                    break
            except (OperationalError, InterfaceError) as exc:
                if not is_unreachable(exc):
                    raise
                now = time.monotonic()
                if now >= deadline:
                    raise StartUpError(
                        f"the database at {where} could not be reached in {timeout_s:g} s "
                        f"(DB_START_TIMEOUT): {first_line(exc)}. Is it running, and is "
                        "DATABASE_URL right?"
                    ) from None
                if now >= next_log:
                    log.warning(
                        "waiting for the database at %s (%s); giving up in %.0f s",
                        where, first_line(exc), deadline - now,
                    )  # fmt: skip
                    next_log = now + START_LOG_EVERY_S
                time.sleep(min(START_PAUSE_S, deadline - now))
    finally:
        probe.dispose()
    if time.monotonic() - started > START_PAUSE_S:
        log.info("the database at %s answers", where)


def _probe(engine: Engine, timeout_s: float) -> Engine:
    """An engine of single connections to the same database whose attempts end within the
    wait (PostgreSQL's connect_timeout, whole seconds, at least 1)."""
    connect_args: dict[str, object] = {}
    if engine.dialect.name == "postgresql" and "connect_timeout" not in engine.url.query:
        connect_args["connect_timeout"] = max(1, min(START_CONNECT_TIMEOUT_S, int(timeout_s)))
    return create_engine(engine.url, poolclass=NullPool, connect_args=connect_args)
