"""A lock held across every process that shares the registry, for work that must happen
once however many API replicas start at the same time (the default models' first fit).

PostgreSQL: a session-level advisory lock (`pg_advisory_lock`) on a connection of its own,
released when the block ends, or by the server when the process holding it dies. SQLite
serves one process (several replicas need PostgreSQL), so a lock of this process is enough.
"""

import hashlib
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine, text

_local_locks: dict[str, threading.Lock] = {}
_guard = threading.Lock()


def lock_key(name: str) -> int:
    """A stable signed 64-bit key for the name (what pg_advisory_lock takes)."""
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)


@contextmanager
def database_lock(engine: Engine, name: str) -> Iterator[None]:
    """Hold the lock called `name` for the block, waiting as long as another holds it."""
    if engine.dialect.name != "postgresql":
        with _guard:
            lock = _local_locks.setdefault(name, threading.Lock())
        with lock:
            yield
        return
    key = lock_key(name)
    with engine.connect() as conn:
        conn.execute(text("SELECT pg_advisory_lock(:key)"), {"key": key})
        conn.commit()  # the lock is the session's, not the transaction's: no open transaction
        try:
            yield
        finally:
            conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": key})
            conn.commit()
