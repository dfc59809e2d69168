"""Rotating log files under LOGS_DIR/backend (5 × 10 MB) plus the console."""

import logging
import logging.handlers
from pathlib import Path

FORMAT = "%(asctime)s %(levelname)s %(name)s [%(process)d] %(message)s"
# marks the handlers this module installs, so that a second call replaces them
HANDLER_NAME = "textclf"


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
    for handler in (file_handler, console):
        handler.setFormatter(logging.Formatter(FORMAT))
        handler.set_name(HANDLER_NAME)
        root.addHandler(handler)
    # uvicorn's access log is replaced by our one line per request
    logging.getLogger("uvicorn.access").handlers.clear()
    logging.getLogger("uvicorn.access").propagate = False
    # Alembic names each of its plugins at every start-up; its migration steps still show
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)
