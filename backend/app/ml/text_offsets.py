"""The Preprocessor's cleaning, done again with every cleaned character's position in the
original text, so that an explanation can point at the characters a term came from.

The Preprocessor itself stays a plain string pipeline (it is on the hot path of every
prediction); this module repeats its steps on (character, origin) pairs. `cleaned_with_offsets`
checks that it got the very string the Preprocessor makes and says so when it did not (a new
preprocessing step that this module does not know yet): the caller then falls back to
finding the terms in the original text.
"""

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from app.ml import chinese
from app.ml.preprocessing import Preprocessor, bare_word

_NON_ALNUM = re.compile(r"[^\w\s]|_", re.UNICODE)
_WHITESPACE = re.compile(r"\s", re.UNICODE)
_WORD_RUN = re.compile(r"\S+", re.UNICODE)


@dataclass(frozen=True)
class MappedText:
    """A cleaned text and, per character of it, the index of the original character it
    came from (`exact`: False when the steps here did not reproduce the Preprocessor's)."""

    text: str
    origin: list[int]
    exact: bool = True

    def span(self, start: int, end: int) -> tuple[int, int]:
        """The original characters behind cleaned characters [start, end)."""
        return self.origin[start], self.origin[end - 1] + 1


def _lower(chars: list[str], origin: list[int]) -> tuple[list[str], list[int]]:
    text = "".join(chars)
    whole = text.lower()  # context-aware (a final sigma), possibly longer ("İ" -> "i̇")
    if len(whole) == len(chars):  # no character lower-cases to nothing: one for one
        return list(whole), origin
    pieces = [c.lower() for c in chars]
    if sum(map(len, pieces)) != len(whole):
        return list(whole[: len(chars)]), origin[: len(whole)]  # never seen; kept safe
    out_origin = [o for piece, o in zip(pieces, origin, strict=True) for _ in piece]
    return list(whole), out_origin


def _replace(chars: list[str], pattern: re.Pattern[str] | None) -> list[str]:
    if pattern is not None:
        return [" " if pattern.fullmatch(c) else c for c in chars]
    return [" " if unicodedata.category(c).startswith("P") else c for c in chars]


def _segment(
    chars: list[str], origin: list[int], new_words: Sequence[str]
) -> tuple[list[str], list[int]]:
    """jieba's words joined by spaces, as the Preprocessor joins them: each word is a run
    of the text (jieba cuts, it does not rewrite), found in order from where the last one
    ended; a joining space stands where the next word starts."""
    text = "".join(chars)
    out_chars: list[str] = []
    out_origin: list[int] = []
    at = 0
    for word in chinese.segment(text, new_words):
        start = text.find(word, at)
        if start < 0:  # never seen: the caller's check finds the strings differ
            return list(" ".join(chinese.segment(text, new_words))), []
        if out_chars:
            out_chars.append(" ")
            out_origin.append(origin[start])
        out_chars.extend(chars[start : start + len(word)])
        out_origin.extend(origin[start : start + len(word)])
        at = start + len(word)
    return out_chars, out_origin


def _drop_stop_words(
    chars: list[str], origin: list[int], stop_words: frozenset[str]
) -> tuple[list[str], list[int]]:
    text = "".join(chars)
    out_chars: list[str] = []
    out_origin: list[int] = []
    for match in _WORD_RUN.finditer(text):
        if bare_word(match.group()) in stop_words:
            continue
        if out_chars:  # " ".join: the space stands where the next word starts
            out_chars.append(" ")
            out_origin.append(origin[match.start()])
        out_chars.extend(chars[match.start() : match.end()])
        out_origin.extend(origin[match.start() : match.end()])
    return out_chars, out_origin


def _squeeze_spaces(chars: list[str], origin: list[int]) -> tuple[list[str], list[int]]:
    out_chars: list[str] = []
    out_origin: list[int] = []
    for c, o in zip(chars, origin, strict=True):
        if _WHITESPACE.fullmatch(c):
            if not out_chars or out_chars[-1] == " ":
                continue
            c = " "
        out_chars.append(c)
        out_origin.append(o)
    while out_chars and out_chars[-1] == " ":
        out_chars.pop()
        out_origin.pop()
    return out_chars, out_origin


def cleaned_with_offsets(preprocessor: Preprocessor, original: str) -> MappedText:
    """What `preprocessor` makes of `original`, with each character's origin."""
    cfg = preprocessor.config
    chars, origin = list(original), list(range(len(original)))
    if cfg.lowercase:
        chars, origin = _lower(chars, origin)
    if cfg.strip_non_alphanumeric:
        chars = _replace(chars, _NON_ALNUM)
    elif cfg.strip_punctuation:
        chars = _replace(chars, None)
    if preprocessor.segments:
        chars, origin = _segment(chars, origin, cfg.new_words)
    if preprocessor.stop_words:
        chars, origin = _drop_stop_words(chars, origin, preprocessor.stop_words)
    if cfg.strip_non_alphanumeric or cfg.strip_punctuation or preprocessor.stop_words:
        chars, origin = _squeeze_spaces(chars, origin)
    text = "".join(chars)
    expected = preprocessor.preprocess_texts([original])[0]
    if text != expected:
        return MappedText(expected, [], exact=False)
    return MappedText(text, origin)
