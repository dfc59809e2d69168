"""Snowball stemming (PyStemmer: the Snowball project's own C stemmers)."""

import re
import threading

import Stemmer

_WORD = re.compile(r"\w+", re.UNICODE)
_local = threading.local()  # a Stemmer object is not safe to share between threads


def _stemmer(language: str) -> Stemmer.Stemmer:
    stemmers: dict[str, Stemmer.Stemmer] = _local.__dict__.setdefault("stemmers", {})
    if language not in stemmers:
        stemmers[language] = Stemmer.Stemmer(language)
    return stemmers[language]


def stem_words(text: str, language: str) -> str:
    """`text` with each word replaced by its stem; what lies between words is kept."""
    stem = _stemmer(language).stemWord
    return _WORD.sub(lambda m: stem(m.group(0)), text)
