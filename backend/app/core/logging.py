"""Rotating log files under LOGS_DIR/backend (5 × 10 MB) plus the console.

Every record is one line that starts with its timestamp: control characters in what is
logged (a path, an upload's name, a header, an exception's message) are escaped, so no
input can forge a line; a traceback's lines follow indented. Warnings and errors that
repeat are rate-limited per call site, so a flood of bad requests cannot flood the log.
A failed start-up is logged that way too: its reason on the line, its traceback indented
below (none when the reason says it all: `StartUpError`).
"""

import logging
import logging.handlers
import sys
import threading
import time
from pathlib import Path

from app.core.errors import StartUpError
from shared.logs import OneLineFormatter

FORMAT = "%(asctime)s %(levelname)s %(name)s [%(process)d] %(message)s"
# marks the handlers this module installs, so that a second call replaces them
HANDLER_NAME = "textclf"
# warnings (and worse) from one call site at most this often per interval
REPEAT_LIMIT = 10
REPEAT_INTERVAL_S = 60.0
_MAX_KEYS = 1024


class _FormatOnce(OneLineFormatter):
    """Formats a record once for all the handlers that share it, on one escaped line.

    The rotating file handler formats every record twice (once to decide whether to roll
    over, once to write it) and the console once more: three times the same line, a cost
    the request log pays on every request of the hot /predict path.
    """

    def format(self, record: logging.LogRecord) -> str:
        line = record.__dict__.get("_textclf_line")
        if line is None:
            line = super().format(record)
            record.__dict__["_textclf_line"] = line
        return line


class RepeatLimit(logging.Filter):
    """Lets the same warning (or worse) through at most `limit` times per `interval`.

    Warnings are "the same" when they come from the same call site (logger, level, file
    and line), whatever their text: 3,000 requests with made-up methods are one warning,
    and so are a library's messages that embed what the client sent. A record with an
    exception is also told apart by where the exception was raised (its type and its
    innermost frame): the one handler that logs every unexpected 500 holds back a flood
    of one failure, never the first traceback of another. The last
    one let through in an interval says that more are being held back; the first one of a
    later interval says how many were. Handlers share one instance, and a record's verdict
    is kept on it, so a record is counted once whatever the number of handlers.
    """

    def __init__(self, limit: int = REPEAT_LIMIT, interval: float = REPEAT_INTERVAL_S) -> None:
        super().__init__()
        self.limit = limit
        self.interval = interval
        self._lock = threading.Lock()
        # key -> [window start, records let through in it, records held back in it]
        self._windows: dict[tuple[str, int, str, int, str], list[float]] = {}

    def filter(self, record: logging.LogRecord) -> bool:
        verdict = record.__dict__.get("_textclf_passes")
        if verdict is None:
            verdict = record.levelno < logging.WARNING or self._admit(record)
            record.__dict__["_textclf_passes"] = verdict
        return verdict

    def _admit(self, record: logging.LogRecord) -> bool:
        key = (record.name, record.levelno, record.pathname, record.lineno, _raised_at(record))
        now = time.monotonic()
        with self._lock:
            window = self._windows.get(key)
            held_back = 0
            if window is None or now - window[0] >= self.interval:
                held_back = int(window[2]) if window else 0
                if window is None and len(self._windows) >= _MAX_KEYS:
                    self._forget_old(now)
                window = self._windows[key] = [now, 0, 0]
            if window[1] >= self.limit:
                window[2] += 1
                return False
            window[1] += 1
            last = window[1] == self.limit
        if held_back:
            self._annotate(record, f"[{held_back} similar messages were suppressed] ")
        if last:
            self._annotate(
                record,
                f"[repeated {self.limit} times; similar messages are suppressed for "
                f"{self.interval:g} s] ",
            )
        return True

    def _forget_old(self, now: float) -> None:
        expired = [k for k, w in self._windows.items() if now - w[0] >= self.interval]
        for key in expired:
            del self._windows[key]
        if len(self._windows) >= _MAX_KEYS:  # a flood of distinct templates: start over
            self._windows.clear()

    @staticmethod
    def _annotate(record: logging.LogRecord, prefix: str) -> None:
        record.msg = prefix + str(record.msg)  # the prefixes hold no "%"


def _raised_at(record: logging.LogRecord) -> str:
    """Where the record's exception was raised: its type, file and line ("" for none)."""
    error = record.exc_info[1] if record.exc_info else None
    if error is None:
        return ""
    tb = error.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    where = f"{tb.tb_frame.f_code.co_filename}:{tb.tb_lineno}" if tb is not None else ""
    return f"{type(error).__qualname__}@{where}"


# how a `StartUpError` is logged, the one line a server that cannot start ends with
START_FAILED = "the server cannot start: %s"


class LifespanFailure(logging.Filter):
    """uvicorn reports an application's failed start-up (or shutdown) with the traceback
    that Starlette formatted as the record's message: escaped onto one line it cannot be
    read. The record is logged inside Starlette's `except` (starlette.routing.Router.
    lifespan), so the exception is at hand: it becomes the record's exc_info (its
    traceback on indented lines), and its own line the message; a `StartUpError` is its
    message alone, which says what to do."""

    PREFIX = "Traceback (most recent call last):"

    def filter(self, record: logging.LogRecord) -> bool:
        if not (isinstance(record.msg, str) and record.msg.startswith(self.PREFIX)):
            return True
        exc_info = sys.exc_info()
        exc = exc_info[1]
        if isinstance(exc, StartUpError):
            record.msg, record.args = START_FAILED, (exc,)
        elif exc is not None:  # its first line: the rest is in the traceback's last lines
            first = (str(exc).strip().split("\n") or [""])[0]
            record.msg, record.args = "the server failed: %s: %s", (type(exc).__name__, first)
            record.exc_info = exc_info
        else:  # not from inside the except: the text alone, its last line first
            lines = record.msg.rstrip().split("\n")
            record.msg, record.args = "the server failed: %s", (lines[-1],)
            record.exc_text = "\n".join(lines)
        return True


def configure_logging(logs_dir: Path, level: str = "INFO", service: str = "backend") -> None:
    directory = logs_dir / service
    directory.mkdir(parents=True, exist_ok=True)
    root = logging.getLogger()
    root.setLevel(level.upper())
    for handler in list(root.handlers):
        if handler.get_name() == HANDLER_NAME:
            root.removeHandler(handler)
    file_handler = logging.handlers.RotatingFileHandler(
        directory / f"{service}.log", maxBytes=10 * 1024 * 1024, backupCount=4, encoding="utf-8"
    )
    console = logging.StreamHandler()
    formatter = _FormatOnce(FORMAT)
    repeat_limit = RepeatLimit()
    for handler in (file_handler, console):
        handler.setFormatter(formatter)
        handler.addFilter(repeat_limit)
        handler.set_name(HANDLER_NAME)
        root.addHandler(handler)
    # uvicorn's access log is replaced by our one line per request; its other loggers
    # ("uvicorn", "uvicorn.error": invalid requests, start-up) reach these handlers, so
    # they are escaped and rate-limited like ours
    logging.getLogger("uvicorn.access").handlers.clear()
    logging.getLogger("uvicorn.access").propagate = False
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).handlers.clear()
        logging.getLogger(name).propagate = True
    uvicorn_error = logging.getLogger("uvicorn.error")
    for old in [f for f in uvicorn_error.filters if isinstance(f, LifespanFailure)]:
        uvicorn_error.removeFilter(old)
    uvicorn_error.addFilter(LifespanFailure())
    # Alembic names each of its plugins at every start-up; its migration steps still show
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)
