"""One log record, one line, on both sides (backend and frontend): control characters in
what is logged (a path, a file or column name, an exception's message, an error the
backend sent) are escaped, so no input can forge a line; a traceback follows indented.
Standard library only."""

import logging
import re

# C0, DEL, C1 and the Unicode line and paragraph separators: what a log viewer may break on
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t", "\x00": "\\0", "\x1b": "\\e"}
TRACEBACK_INDENT = "    "


def _escape_one(match: re.Match[str]) -> str:
    char = match.group()
    named = _NAMED.get(char)
    if named is not None:
        return named
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def escape_controls(text: str) -> str:
    """`text` on one line: every control character written as a visible escape."""
    return _CONTROL.sub(_escape_one, text)


class OneLineFormatter(logging.Formatter):
    """Each record as one escaped line, its traceback (if any) on indented lines after it.

    `format` itself is overridden, not only formatException: another handler's formatter
    may have cached the record's plain traceback in `exc_text` first, and that text must
    be indented and escaped here too."""

    def format(self, record: logging.LogRecord) -> str:
        record.message = record.getMessage()
        if self.usesTime():
            record.asctime = self.formatTime(record, self.datefmt)
        line = escape_controls(self.formatMessage(record))
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        extras = [record.exc_text, self.formatStack(record.stack_info) if record.stack_info else ""]
        for text in extras:
            if text:
                line += "".join(
                    "\n" + TRACEBACK_INDENT + escape_controls(part) for part in text.split("\n")
                )
        return line
