"""Registry calls that outlast a database that cannot be reached (it restarts, its host
name does not resolve for a while): the writes that end a task, whose loss would leave the
task running for good, are tried again until the database answers or the process stops
(then the next start's recovery ends the task), instead of given up."""

import logging
import sqlite3
import threading
import time
from collections.abc import Callable
from typing import TypeVar

from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

log = logging.getLogger(__name__)

T = TypeVar("T")

# PostgreSQL's SQLSTATEs for "the server is going away or not there yet": class 08
# (connection exception), and the server shutting down, crashed or starting up
_UNREACHABLE_STATES = ("08", "57P01", "57P02", "57P03")
FIRST_PAUSE_S = 0.5
LONGEST_PAUSE_S = 30.0


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
