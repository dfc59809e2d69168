"""Rotating log files under LOGS_DIR/frontend (5 × 10 MB), one escaped line per record."""

import logging
import logging.handlers
from pathlib import Path

from shared.logs import OneLineFormatter

FORMAT = "%(asctime)s %(levelname)s %(name)s [%(process)d] %(message)s"
MAX_BYTES = 10 * 1024 * 1024
BACKUPS = 4  # plus the live file: five files at most
HANDLER_NAME = "textclf"  # marks the handler this module attaches

log = logging.getLogger("ui")


def configure_logging(logs_dir: Path, level: str = "INFO") -> None:
    """Attach one rotating file handler to the `ui` logger; calling it again is a no-op.

    Only the `ui` logger: Streamlit configures the root and its own loggers itself.
    """
    if any(h.get_name() == HANDLER_NAME for h in log.handlers):
        return
    directory = logs_dir / "frontend"
    directory.mkdir(parents=True, exist_ok=True)
    handler = logging.handlers.RotatingFileHandler(
        directory / "frontend.log", maxBytes=MAX_BYTES, backupCount=BACKUPS, encoding="utf-8"
    )
    # what the backend says (an error's detail may quote a file's column names) is logged
    # too: one record stays one line
    handler.setFormatter(OneLineFormatter(FORMAT))
    handler.set_name(HANDLER_NAME)
    log.addHandler(handler)
    log.setLevel(level.upper())
