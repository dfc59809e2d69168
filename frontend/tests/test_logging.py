"""The frontend's log: one line per record, whatever the backend's answer held."""

import logging
from pathlib import Path

from ui.logging import HANDLER_NAME, configure_logging, log


def _detach() -> None:
    for handler in list(log.handlers):
        if handler.get_name() == HANDLER_NAME:
            log.removeHandler(handler)
            handler.close()


def test_a_line_feed_in_a_logged_error_stays_on_its_line(tmp_path: Path) -> None:
    _detach()  # an app run earlier in this process (AppTest) attached its own
    configure_logging(tmp_path)
    try:
        detail = "the file has no column 'a\n2026-12-02 12:00:00,000 INFO ui forged'"
        log.warning("GET /x: %s", detail)
        for handler in log.handlers:
            handler.flush()
        lines = (tmp_path / "frontend" / "frontend.log").read_text().split("\n")[:-1]
    finally:
        _detach()
    assert len(lines) == 1
    assert lines[0].endswith("no column 'a\\n2026-12-02 12:00:00,000 INFO ui forged'")
    assert logging.getLogger("ui") is log
