"""The feature vector of ONE text, as a fitted feature step's `transform([text])` gives it,
without its per-call machinery.

An explanation needs one text's TF-IDF row. `transform` on one text spends most of its time
around the counting, not in it: a Python loop over every n-gram with a KeyError for each
unknown one, sparse-matrix construction and checks, a normalisation through
`sklearn.preprocessing.normalize`, and a joblib dispatch per part of a FeatureUnion (about
5 of the 6 ms of a word + char_wb row of a 1,000-character text). Here the same row comes
from the fitted vectorizer's public attributes and the documented formula:

    n-grams  = vectorizer.build_analyzer()(text)         (preprocessor, tokens, stop words)
    tf       = the count of each n-gram in `vocabulary_` (1 when `binary`)
    tf       = 1 + log(tf)                               when `sublinear_tf`
    tf-idf   = tf * idf_[j]                              when `use_idf`
    row      = tf-idf / its l2 (or l1) norm              per `norm`

computed in the vectorizer's dtype. The parts of a FeatureUnion follow one another, as
`transform` stacks them. Any other feature step (a custom analyzer, a transformer chained
after the vectorizer, hashing) is not handled: `one_row` returns None and the caller uses
`transform`. Tests check the row against `transform` for each kind's default vectorizers.
"""

from collections import Counter
from itertools import repeat

import numpy as np
from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer
from sklearn.pipeline import FeatureUnion

Row = tuple[np.ndarray, np.ndarray]  # (feature indices ascending, values)


def _counted(vectorizer: CountVectorizer, text: str) -> Row:
    counts = Counter(vectorizer.build_analyzer()(text))
    # one C-level pass each: the terms' indices (-1: not in the vocabulary), their counts
    found = np.fromiter(map(vectorizer.vocabulary_.get, counts, repeat(-1)), np.int64, len(counts))
    values = np.fromiter(counts.values(), vectorizer.dtype, len(counts))
    known = found >= 0
    positions, values = found[known], values[known]
    order = np.argsort(positions)
    return positions[order], values[order]


def _weighted(vectorizer: TfidfVectorizer, positions: np.ndarray, values: np.ndarray) -> None:
    """TF-IDF weighting and normalisation of a count row, in place."""
    if vectorizer.sublinear_tf:
        np.log(values, out=values)
        values += 1
    if vectorizer.use_idf:
        values *= vectorizer.idf_[positions]  # as transform does: in the row's dtype
    if vectorizer.norm is None or not len(values):
        return
    norm = np.abs(values).sum() if vectorizer.norm == "l1" else np.sqrt(values @ values)
    if norm > 0:
        values /= norm


def _vectorizer_row(vectorizer: CountVectorizer, text: str) -> Row | None:
    if callable(vectorizer.analyzer) or vectorizer.input != "content":
        return None
    positions, values = _counted(vectorizer, text)
    if vectorizer.binary:
        values[:] = 1
    if isinstance(vectorizer, TfidfVectorizer):
        _weighted(vectorizer, positions, values)
    return positions, values


def one_row(step: object, text: str) -> tuple[Row, int] | None:
    """`step.transform([text])`'s only row as (indices, values), and the width of the
    whole vector; None for a feature step this module does not reproduce."""
    if isinstance(step, CountVectorizer):  # TfidfVectorizer is one
        row = _vectorizer_row(step, text)
        return None if row is None else (row, len(step.vocabulary_))
    if isinstance(step, FeatureUnion) and not step.transformer_weights:
        parts: list[Row] = []
        width = 0
        for _, part in step.transformer_list:
            if part == "drop":
                continue
            found = one_row(part, text)
            if found is None:
                return None
            (positions, values), size = found
            parts.append((positions + width, values))
            width += size
        if not parts:
            return None
        return (np.concatenate([p for p, _ in parts]), np.concatenate([v for _, v in parts])), width
    return None
