"""String constraints every store can keep: PostgreSQL refuses NUL characters in text, and
its columns have lengths (SQLite enforces neither), so both are checked at the boundary."""

import unicodedata
from collections.abc import Mapping
from typing import Annotated, Any

from pydantic import Field

NO_NUL = r"^[^\x00]*$"
# a model's name, a segment: letters, digits, '.', '_', '-' and inner spaces; no space at
# either end ("qa-conc " would be a second name beside "qa-conc"), not only dots ("..")
NAME_PATTERN = r"^(?:[\w.\-][\w .\-]*)?[\w\-](?:[\w .\-]*[\w.\-])?$"
ID_PATTERN = r"^[A-Za-z0-9_-]{1,64}$"  # an id in a URL path
ALIAS_PATTERN = r"^[a-z][a-z0-9_-]{0,31}$"  # an alias of a model name ("production")
DICTIONARY_WORD_PATTERN = r"^[^\x00\s]+$"  # a tokenizer's dictionary entry: one token
RETRIEVER_NAME_PATTERN = r"^[A-Za-z0-9._-]*[A-Za-z0-9_-][A-Za-z0-9._-]*$"  # a retriever's name
# a model as a request names it: its id, `name@alias` or `name:version` (a name holds
# neither '@' nor ':', so the first of them splits it)
REF_PATTERN = (
    r"^(?:[A-Za-z0-9_-]{1,64}|[\w .\-]{1,100}(?:@[a-z][a-z0-9_-]{0,31}|:[1-9][0-9]{0,8}))$"
)
# the same, or a name (all its versions: statistics and drift)
REF_OR_NAME_PATTERN = f"(?:{REF_PATTERN})|(?:{NAME_PATTERN})"
# each pattern in words, for messages people read
PATTERN_WORDS = {
    NO_NUL: "characters other than NUL",
    NAME_PATTERN: (
        "letters, digits, spaces, '.', '_' and '-', with no space at either end and not only dots"
    ),
    ID_PATTERN: "1 to 64 letters (a-z, A-Z), digits, '_' and '-'",
    ALIAS_PATTERN: "a lower-case letter, then up to 31 lower-case letters, digits, '_' and '-'",
    DICTIONARY_WORD_PATTERN: "one word: no spaces",
    RETRIEVER_NAME_PATTERN: "letters (a-z, A-Z), digits, '.', '_' and '-', not only dots",
    REF_PATTERN: "a model id, or a reference 'name@alias' or 'name:version'",
    REF_OR_NAME_PATTERN: "a model id, a reference 'name@alias' or 'name:version', or a name",
}
# limits of the registry's columns (app/registry/tables.py)
MODEL_NAME_MAX = 100
DATASET_NAME_MAX = 200
FILENAME_MAX = 300
COLUMN_NAME_MAX = 300
ID_MAX = 64
REF_MAX = MODEL_NAME_MAX + 1 + 32  # name@alias (name:version is shorter)
SEGMENT_MAX = 100  # a business line, as a prediction names it (the log's column)
DEFAULT_SEGMENT = "default"
INT32_MAX = 2**31 - 1

# an id as the body of a request names it (looked up, never stored)
IdText = Annotated[str, Field(min_length=1, max_length=ID_MAX, pattern=NO_NUL)]
# a model as the body of a request names it: an id, name@alias or name:version (parsed and
# looked up in one place, app/services/references.py)
ModelRef = Annotated[str, Field(min_length=1, max_length=REF_MAX, pattern=NO_NUL)]
ColumnName = Annotated[str, Field(min_length=1, max_length=COLUMN_NAME_MAX, pattern=NO_NUL)]
# a business line a prediction belongs to: checked like a model's name
SegmentName = Annotated[str, Field(min_length=1, max_length=SEGMENT_MAX, pattern=NAME_PATTERN)]


def readable_message(error: Mapping[str, Any]) -> str:
    """A pydantic error's message: a validator's own sentence (without pydantic's "Value
    error, "), a pattern mismatch said in words ("use only letters, digits, ..." rather
    than "String should match pattern '^[\\w .-]+$'"), a length with its thousands
    separated ("at most 10,000 characters")."""
    context = error.get("ctx") or {}
    if error.get("type") == "string_pattern_mismatch":
        pattern = context.get("pattern")
        if pattern in PATTERN_WORDS:
            return f"use only {PATTERN_WORDS[pattern]}"
    if error.get("type") == "string_too_long" and isinstance(context.get("max_length"), int):
        return f"at most {context['max_length']:,} characters"
    message = str(error.get("msg", ""))
    # a validator's own sentence, without the "Value error, " pydantic puts before it
    return message.removeprefix("Value error, ") if error.get("type") == "value_error" else message


def printable(text: str) -> str:
    """The text without control or format characters (line breaks, NUL, ESC, a
    right-to-left override that can disguise an extension, line and paragraph separators),
    any other space as a plain space: what a name shown in a list, a log or a header keeps."""
    return "".join(_printable(c) for c in text)


def has_control(text: str) -> bool:
    """Whether the text holds a control or format character, or a line or paragraph
    separator (what `printable` removes)."""
    return any(_printable(c) == "" for c in text)


def _printable(char: str) -> str:
    category = unicodedata.category(char)
    if category == "Zs":
        return " "
    return "" if category[0] == "C" or category in ("Zl", "Zp") else char
