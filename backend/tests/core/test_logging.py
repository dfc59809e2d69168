"""The log's format: one escaped line per record, repeated warnings rate-limited."""

import logging
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.core.logging import RepeatLimit, configure_logging
from shared.logs import escape_controls


@pytest.fixture
def log_file(tmp_path: Path) -> Iterator[Path]:
    configure_logging(tmp_path)
    yield tmp_path / "backend" / "backend.log"
    root = logging.getLogger()
    for handler in list(root.handlers):
        if handler.get_name() == "textclf":
            root.removeHandler(handler)
            handler.close()


def _lines(path: Path) -> list[str]:
    for handler in logging.getLogger().handlers:
        handler.flush()
    return path.read_text(encoding="utf-8").split("\n")[:-1]


@pytest.mark.parametrize(
    ("raw", "escaped"),
    [
        ("a\nb", "a\\nb"),
        ("a\r\nb", "a\\r\\nb"),
        ("nul\x00", "nul\\0"),
        ("\x1b[31mred", "\\e[31mred"),
        ("bell\x07 del\x7f c1\x85", "bell\\x07 del\\x7f c1\\x85"),
        ("ls\u2028ps\u2029", "ls\\u2028ps\\u2029"),
        ("tab\there", "tab\\there"),
        ("отчёт 😀 plain", "отчёт 😀 plain"),
    ],
)
def test_escape_controls(raw: str, escaped: str) -> None:
    assert escape_controls(raw) == escaped


def test_a_forged_line_stays_inside_its_record(log_file: Path) -> None:
    fake = "\n2026-12-02 12:00:00,000 INFO app.requests [1] GET /admin 200 0.1ms"
    logging.getLogger("app.test").info("upload %s stored", "name.csv" + fake)
    lines = _lines(log_file)
    assert len(lines) == 1
    assert lines[0].endswith(
        "name.csv\\n2026-12-02 12:00:00,000 INFO app.requests [1] GET /admin 200 0.1ms stored"
    )


def test_a_traceback_follows_indented_and_escaped(log_file: Path) -> None:
    try:
        raise ValueError("bad\n2026-12-02 12:00:00,000 ERROR forged\rline")
    except ValueError:
        logging.getLogger("app.test").exception("failed on %s", "/x\n")
    lines = _lines(log_file)
    assert lines[0].endswith("failed on /x\\n")
    assert len(lines) > 2
    assert all(line.startswith("    ") for line in lines[1:])
    # the message's own line feed starts an indented line: it cannot pass for a record
    assert lines[-2:] == ["    ValueError: bad", "    2026-12-02 12:00:00,000 ERROR forged\\rline"]


def test_repeated_warnings_are_bounded_and_counted(log_file: Path) -> None:
    log = logging.getLogger("app.test")
    for i in range(3000):
        log.warning("odd request %d", i)
    log.warning("another warning")
    log.info("info is never limited")
    lines = _lines(log_file)
    odd = [line for line in lines if "odd request" in line]
    assert len(odd) == 10
    assert "similar messages are suppressed for 60 s" in odd[-1]
    assert any("another warning" in line for line in lines)
    assert "info is never limited" in lines[-1]


def test_the_first_warning_after_a_pause_says_how_many_were_held_back() -> None:
    limit = RepeatLimit(limit=2, interval=0.05)
    records = [
        logging.LogRecord("app.test", logging.WARNING, __file__, 1, "odd %s", (i,), None)
        for i in range(6)
    ]
    assert [limit.filter(r) for r in records[:5]] == [True, True, False, False, False]
    assert "suppressed for" in records[1].getMessage()
    time.sleep(0.06)
    assert limit.filter(records[5])
    assert records[5].getMessage() == "[3 similar messages were suppressed] odd 5"
    assert limit.filter(records[5])  # a record is judged once, whatever the handlers


def _fail(kind: type[Exception]) -> None:
    raise kind("boom")


def test_a_flood_of_one_failure_holds_back_no_other_failures_traceback(log_file: Path) -> None:
    """One call site logs every unexpected 500: a flood of one failure is limited, and
    another failure's first traceback still gets through."""
    log = logging.getLogger("app.test")

    def handler(kind: type[Exception]) -> None:  # the one place that logs them
        try:
            _fail(kind)
        except Exception:
            log.exception("unexpected error")

    for _ in range(50):
        handler(ValueError)
    handler(KeyError)
    lines = _lines(log_file)
    assert sum(line.startswith("    ValueError: boom") for line in lines) == 10
    assert sum(line.startswith("    KeyError: 'boom'") for line in lines) == 1
