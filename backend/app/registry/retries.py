"""Registry calls that outlast a moment when the database cannot be reached (it restarts,
its host name does not resolve for a while): the writes that end a task, whose loss would
leave the task running for good, are tried again instead of given up."""

import logging
import time
from collections.abc import Callable
from typing import TypeVar

from sqlalchemy.exc import InterfaceError, OperationalError

log = logging.getLogger(__name__)

T = TypeVar("T")

# the DBAPI's "cannot reach the database" errors (a refused or dropped connection, a name
# that does not resolve, a server starting up), as SQLAlchemy wraps them
TRANSIENT_ERRORS: tuple[type[Exception], ...] = (OperationalError, InterfaceError)
FIRST_PAUSE_S = 0.5
LONGEST_PAUSE_S = 30.0
GIVE_UP_AFTER_S = 300.0


def first_line(exc: Exception) -> str:
    """The DBAPI's message without SQLAlchemy's "(Background on this error at: …)" line."""
    return str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]


def retrying(call: Callable[[], T], *, what: str, give_up_after_s: float = GIVE_UP_AFTER_S) -> T:
    """`call()`, tried again after 0.5 s, 1 s, 2 s, … (at most 30 s apart) while the
    registry cannot be reached, for up to `give_up_after_s`; then its error is raised."""
    deadline = time.monotonic() + give_up_after_s
    pause = FIRST_PAUSE_S
    while True:
        try:
            return call()
        except TRANSIENT_ERRORS as exc:
            if time.monotonic() + pause > deadline:
                raise
            log.warning(
                "%s: the registry cannot be reached (%s); trying again in %.1f s",
                what, first_line(exc), pause,
            )  # fmt: skip
            time.sleep(pause)
            pause = min(pause * 2, LONGEST_PAUSE_S)
