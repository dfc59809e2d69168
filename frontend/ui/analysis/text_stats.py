"""Per-class text statistics: lengths, class balance, frequent tokens, n-grams, stop words.

Tokens are factorised to integer codes once, so n-grams of any order are counted as
packed int64 keys with vectorised numpy/pandas operations instead of Python loops.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ui.analysis.language import ENGLISH, WORD_PATTERN, word_splitter

TOKEN_PATTERN = WORD_PATTERN  # words of letters (any script), contractions whole
SINGLE_LETTER = r"[^\W\d_]"
STOP_WORDS: frozenset[str] = ENGLISH
MAX_NGRAM = 3


@dataclass(frozen=True)
class TokenTable:
    """Every token occurrence of a corpus, in text order."""

    codes: np.ndarray  # int64 code of each occurrence
    rows: np.ndarray  # int64 row (text) number of each occurrence
    vocab: np.ndarray  # code -> token
    stop: np.ndarray  # code -> is a stop word
    labels: np.ndarray  # row -> class label (str)

    @property
    def classes(self) -> list[str]:
        return sort_labels(pd.unique(self.labels))


def sort_labels(labels: Iterable[object]) -> list[str]:
    """Class labels in a natural order: numerically when they all are numbers."""
    values = [str(v) for v in labels]
    try:
        return sorted(values, key=float)
    except ValueError:
        return sorted(values)


def text_lengths(texts: pd.Series, labels: pd.Series) -> pd.DataFrame:
    """Characters and whitespace-separated words of each text, with its class."""
    texts = texts.fillna("").astype(str)
    return pd.DataFrame(
        {
            "label": labels.astype(str).to_numpy(),
            "chars": texts.str.len().to_numpy(),
            "words": texts.str.count(r"\S+").to_numpy(),
        }
    )


def p95(values: pd.Series) -> float:
    """The 95th percentile (named so that it names its column)."""
    return float(values.quantile(0.95))


def length_summary(lengths: pd.DataFrame) -> pd.DataFrame:
    """Mean, median and 95th percentile of both lengths per class."""
    grouped = lengths.groupby("label")[["chars", "words"]]
    summary = grouped.agg(["mean", "median", p95])
    summary.columns = summary.columns.map(" ".join)  # ("chars", "p95") -> "chars p95"
    return summary.round(1).reindex(sort_labels(summary.index))


def class_balance(labels: pd.Series) -> pd.DataFrame:
    counts = labels.astype(str).value_counts()
    frame = pd.DataFrame({"label": counts.index, "count": counts.to_numpy()})
    frame["share"] = (frame["count"] / max(int(frame["count"].sum()), 1)).round(4)
    order = sort_labels(frame["label"])
    return frame.set_index("label").loc[order].reset_index()


def tokenize(
    texts: pd.Series,
    labels: pd.Series,
    stop_words: frozenset[str] = STOP_WORDS,
    token_pattern: str = TOKEN_PATTERN,
    split: Callable[[str], list[str]] | None = None,
) -> TokenTable:
    """Every token of the texts: what `token_pattern` finds in each, or with `split` (a
    segmenter: jieba for Chinese) the words it cuts that the pattern matches whole."""
    lowered = texts.fillna("").astype(str).str.lower().str.replace("\u2019", "'", regex=False)
    words = word_splitter(split, token_pattern)
    if words is not None:
        lists = lowered.map(words)
    elif token_pattern == WORD_PATTERN:
        # words of two letters or more, and the one-letter stop words ("a", "в", "и", "с":
        # among the most frequent of all), which the pattern alone leaves out
        lists = lowered.str.findall(f"{token_pattern}|{SINGLE_LETTER}").map(
            lambda found: [t for t in found if len(t) > 1 or t in stop_words]
        )
    else:
        lists = lowered.str.findall(token_pattern)
    lists.index = np.arange(len(lists))
    exploded = lists.explode().dropna()
    codes, vocab = pd.factorize(exploded.to_numpy())
    vocab = np.asarray(vocab, dtype=object)
    return TokenTable(
        codes=codes.astype(np.int64),
        rows=exploded.index.to_numpy(dtype=np.int64),
        vocab=vocab,
        stop=np.fromiter((t in stop_words for t in vocab), dtype=bool, count=len(vocab)),
        labels=labels.astype(str).to_numpy(),
    )


def _ngram_keys(
    table: TokenTable, n: int, include_stop_words: bool
) -> tuple[np.ndarray, np.ndarray]:
    """Packed keys of every n-gram that stays inside one text, and the row of each."""
    size = len(table.codes) - n + 1
    if size <= 0:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    base = max(len(table.vocab), 1)
    keys = np.zeros(size, dtype=np.int64)
    valid = np.ones(size, dtype=bool)
    for k in range(n):
        part = table.codes[k : k + size]
        keys = keys * base + part
        valid &= table.rows[k : k + size] == table.rows[:size]
        if not include_stop_words:
            valid &= ~table.stop[part]
    return keys[valid], table.rows[:size][valid]


def _decode(keys: np.ndarray, n: int, vocab: np.ndarray) -> list[str]:
    base = max(len(vocab), 1)
    words = []
    for key in keys.tolist():
        parts = []
        for _ in range(n):
            key, code = divmod(key, base)
            parts.append(vocab[code])
        words.append(" ".join(reversed(parts)))
    return words


def top_ngrams(
    table: TokenTable,
    n: int = 1,
    *,
    include_stop_words: bool = False,
    k: int = 20,
    per_text: bool = False,
) -> pd.DataFrame:
    """The `k` most frequent n-grams of each class: columns label, ngram, count. With
    `per_text`, count is the number of texts that hold the n-gram (document frequency),
    so a few texts that repeat a word many times do not dominate."""
    if not 1 <= n <= MAX_NGRAM:
        raise ValueError(f"n must be between 1 and {MAX_NGRAM}")
    if n > 1 and len(table.vocab) ** n >= 2**62:
        raise ValueError("the vocabulary is too large to pack n-grams into 64-bit keys")
    keys, rows = _ngram_keys(table, n, include_stop_words)
    if per_text:
        unique = pd.DataFrame({"key": keys, "row": rows}).drop_duplicates()
        keys, rows = unique["key"].to_numpy(), unique["row"].to_numpy()
    return _top_per_class(keys, table.labels[rows], table.classes, k, n, table.vocab, "ngram")


def top_stop_words(table: TokenTable, k: int = 20) -> pd.DataFrame:
    """The `k` most frequent stop words of each class: columns label, word, count."""
    mask = table.stop[table.codes]
    keys = table.codes[mask]
    labels = table.labels[table.rows[mask]]
    return _top_per_class(keys, labels, table.classes, k, 1, table.vocab, "word")


def word_frequencies(table: TokenTable, label: str, k: int = 200) -> dict[str, int]:
    """The class's most frequent words that are not stop words (for a word cloud)."""
    top = top_ngrams(table, 1, include_stop_words=False, k=k)
    top = top[top["label"] == label]
    return dict(zip(top["ngram"], top["count"].astype(int), strict=True))


def _top_per_class(
    keys: np.ndarray,
    labels: np.ndarray,
    classes: list[str],
    k: int,
    n: int,
    vocab: np.ndarray,
    column: str,
) -> pd.DataFrame:
    frames = []
    for label in classes:
        counts = pd.Series(keys[labels == label]).value_counts()
        top = counts.iloc[:k]
        frames.append(
            pd.DataFrame(
                {
                    "label": label,
                    column: _decode(top.index.to_numpy(), n, vocab),
                    "count": top.to_numpy(),
                }
            )
        )
    if not frames:
        return pd.DataFrame({"label": [], column: [], "count": []})
    return pd.concat(frames, ignore_index=True)
