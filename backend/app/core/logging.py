"""Rotating log files under LOGS_DIR/backend (5 × 10 MB) plus the console."""

import logging
import logging.handlers
from pathlib import Path

FORMAT = "%(asctime)s %(levelname)s %(name)s [%(process)d] %(message)s"
# marks the handlers this module installs, so that a second call replaces them
HANDLER_NAME = "textclf"


class _FormatOnce(logging.Formatter):
    """Formats a record once for all the handlers that share it.

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
    for handler in (file_handler, console):
        handler.setFormatter(formatter)
        handler.set_name(HANDLER_NAME)
        root.addHandler(handler)
    # uvicorn's access log is replaced by our one line per request
    logging.getLogger("uvicorn.access").handlers.clear()
    logging.getLogger("uvicorn.access").propagate = False
    # Alembic names each of its plugins at every start-up; its migration steps still show
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)
