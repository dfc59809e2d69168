"""Engine creation: SQLite (WAL, foreign keys) by default, PostgreSQL by URL; and the
guard that keeps a SQLite registry to one server process."""

import fcntl
import os
from pathlib import Path
from typing import IO

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.pool import ConnectionPoolEntry

from app.core.errors import StartUpError


def make_engine(url: str) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: DBAPIConnection, _record: ConnectionPoolEntry) -> None:
            cursor = dbapi_conn.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()

        return engine
    if parsed.drivername == "postgresql":  # plain URL: use psycopg 3, which we ship
        url = parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)


class RegistryInUseError(StartUpError):
    """Another server process already serves this SQLite registry."""


def hold_sqlite_registry(url: str) -> IO[str] | None:
    """For a SQLite file, an exclusive lock on `<file>.server-lock` that this process holds
    while it lives (the kernel lets go of it when the process ends, even by SIGKILL); None
    for PostgreSQL or an in-memory database. SQLite serves one server process: a second
    one would take the first one's running fits for its own interrupted ones and fail
    them, so it is refused before it touches anything."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    database = Path(parsed.database)
    database.parent.mkdir(parents=True, exist_ok=True)
    handle = (database.parent / f"{database.name}.server-lock").open("a+", encoding="utf-8")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.seek(0)
        holder = handle.read().strip() or "another process"
        handle.close()
        raise RegistryInUseError(
            f"another server ({holder}) is using the SQLite registry {database}: SQLite "
            "serves one server process. Stop that one first, or give this one its own "
            "DATABASE_URL (PostgreSQL for several replicas over one registry)"
        ) from None
    handle.seek(0)
    handle.truncate()
    handle.write(f"pid {os.getpid()}")
    handle.flush()
    return handle
