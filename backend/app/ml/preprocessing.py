"""The Preprocessor: every cleaning step chosen at construction, applied the same way in
training and at prediction time. Swapping the object is the only change needed to
preprocess differently."""

import re
import unicodedata
from collections.abc import Iterable

import pandas as pd

from app.ml import chinese
from app.ml.stemming import stem_words
from app.ml.stopwords import BUILT_IN
from shared.schemas import PreprocessingConfig
from shared.stopwords import NEGATIONS

_WORD = re.compile(r"\w+", re.UNICODE)
_SPACES = re.compile(r"\s+", re.UNICODE)
_NON_ALNUM = re.compile(r"[^\w\s]|_", re.UNICODE)
# The vectorizer's word pattern for segmented text: jieba's one-character words count
# (scikit-learn's default pattern drops them).
SEGMENTED_TOKEN_PATTERN = r"(?u)\b\w+\b"
# Only a text's first characters are read (a comment is rarely over a few thousand): a
# 50 MB "text" would otherwise cost minutes of character n-grams and gigabytes of memory.
# Kept the same at fit and at prediction; answers on longer texts say so.
MAX_TEXT_CHARS = 50_000


class EmptyDatasetError(ValueError):
    """Nothing is left to train on after preprocessing."""


def _strip_punctuation(text: str) -> str:
    return "".join(" " if unicodedata.category(ch).startswith("P") else ch for ch in text)


class Preprocessor:
    def __init__(self, config: PreprocessingConfig | None = None) -> None:
        self.config = config or PreprocessingConfig()
        stop_words: set[str] = set()
        for name in self.config.stop_words:
            kept = NEGATIONS[name] if self.config.keep_negations else frozenset()
            stop_words |= BUILT_IN[name] - kept
        stop_words |= {w.strip().lower() for w in self.config.custom_stop_words if w.strip()}
        self._stop_words = frozenset(stop_words)
        # `auto` is resolved before a fit (app/ml/language.py); a config that still says
        # auto (a bundle from before tokenizers) splits as it always did: by the word pattern
        self._segment = self.config.tokenizer == "jieba"

    @property
    def token_pattern(self) -> str | None:
        """The word pattern a vectorizer must use on this preprocessor's output (None: its
        own default)."""
        return SEGMENTED_TOKEN_PATTERN if self._segment else None

    @property
    def segments(self) -> bool:
        """Whether texts are cut into words by jieba (joined by spaces) after cleaning."""
        return self._segment

    @property
    def stop_words(self) -> frozenset[str]:
        """The words dropped (lower-cased, bare): built-in lists and custom ones together."""
        return self._stop_words

    def preprocess_dataset(
        self, df: pd.DataFrame, text_column: str, dropped: dict[str, int] | None = None
    ) -> pd.DataFrame:
        """Clean the text column; drop empty and duplicate texts if configured, counting
        them into `dropped` ("empty", "duplicates") when given.

        Returns a new frame (the input is left alone) whose index keeps the original rows.
        """
        if text_column not in df.columns:
            raise KeyError(text_column)
        counts = {"empty": 0, "duplicates": 0}
        out = df.copy()
        out[text_column] = self.preprocess_texts(out[text_column].tolist())
        if self.config.drop_empty:
            before = len(out)
            out = out[out[text_column].str.strip().str.len() > 0]
            counts["empty"] = before - len(out)
        if self.config.drop_duplicates:
            before = len(out)
            out = out.drop_duplicates(subset=[text_column])
            counts["duplicates"] = before - len(out)
        if dropped is not None:
            dropped.update(counts)
        if out.empty:
            raise EmptyDatasetError("no texts are left after preprocessing")
        return out

    def preprocess_texts(self, texts: Iterable[object]) -> list[str]:
        """One cleaned string per input, in order; missing values become empty strings."""
        return [self._clean(t) for t in texts]

    def _clean(self, value: object) -> str:
        if value is None or (isinstance(value, float) and value != value):
            return ""
        text = str(value)[:MAX_TEXT_CHARS]
        cfg = self.config
        if cfg.lowercase:
            text = text.lower()
        if cfg.strip_non_alphanumeric:
            text = _NON_ALNUM.sub(" ", text)
        elif cfg.strip_punctuation:
            text = _strip_punctuation(text)
        if self._segment:  # words joined by spaces: every later step splits on them
            text = " ".join(chinese.segment(text, cfg.new_words))
        if self._stop_words:
            text = " ".join(w for w in text.split() if bare_word(w) not in self._stop_words)
        if cfg.stemming != "none":  # after stop words: the lists hold whole words
            text = stem_words(text, cfg.stemming)
        if cfg.strip_non_alphanumeric or cfg.strip_punctuation or self._stop_words:
            text = _SPACES.sub(" ", text).strip()
        return text


def bare_word(token: str) -> str:
    """The token's word characters, lower-cased: "The," and "the" are the same stop word."""
    return "".join(_WORD.findall(token)).lower()
