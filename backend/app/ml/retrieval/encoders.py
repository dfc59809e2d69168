"""Encoders: contexts and questions → sparse vectors whose dot product ranks contexts.

- `TfidfEncoder`: TF-IDF over word n-grams, char_wb n-grams, or both. Fused, the two
  L2-normalised blocks sit side by side in one vector and only the documents' blocks are
  weighted, so a dot product is `w * cos_word + (1 - w) * cos_char`: one sparse search.
- `Bm25Encoder`: bm25s's BM25. A document's vector holds its BM25 weight for each term
  (bm25s's own `get_scores` for a one-term query); a question's vector is 1 for each of
  its known terms, so the dot product is the BM25 score bm25s itself gives.
"""

import re
from collections.abc import Sequence
from typing import Any, Protocol

import bm25s
import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfVectorizer

from app.ml.preprocessing import Preprocessor
from shared.schemas.preprocessing import PreprocessingConfig

_TOKEN = re.compile(r"\w+", re.UNICODE)


class Encoder(Protocol):
    def fit_documents(self, contexts: Sequence[str]) -> sp.csr_matrix: ...
    def encode(self, questions: Sequence[str]) -> sp.csr_matrix: ...
    def tokens(self, text: str) -> list[str]: ...


class TfidfEncoder:
    def __init__(self, params: dict[str, Any], preprocessing: PreprocessingConfig) -> None:
        self.params = params
        self.preprocessor = Preprocessor(preprocessing)
        analyzer = params.get("analyzer", "both")
        self.vectorizers: list[tuple[TfidfVectorizer, float]] = []
        self._fast: list[tuple[Any, dict[str, int], np.ndarray, bool, int]] = []
        word_weight = float(params.get("word_weight", 0.3))
        sublinear = bool(params.get("sublinear_tf", True))
        if analyzer in ("word", "both"):
            self.vectorizers.append(
                (
                    TfidfVectorizer(
                        analyzer="word",
                        ngram_range=tuple(params.get("word_ngram_range", (1, 2))),
                        sublinear_tf=sublinear,
                        lowercase=False,  # the preprocessor decides
                        token_pattern=r"(?u)\b\w+\b",
                    ),
                    word_weight if analyzer == "both" else 1.0,
                )
            )
        if analyzer in ("char_wb", "both"):
            self.vectorizers.append(
                (
                    TfidfVectorizer(
                        analyzer="char_wb",
                        ngram_range=tuple(params.get("char_ngram_range", (3, 5))),
                        sublinear_tf=sublinear,
                        lowercase=False,
                    ),
                    1.0 - word_weight if analyzer == "both" else 1.0,
                )
            )

    def fit_documents(self, contexts: Sequence[str]) -> sp.csr_matrix:
        cleaned = self.preprocessor.preprocess_texts(contexts)
        blocks = [v.fit_transform(cleaned) * weight for v, weight in self.vectorizers]
        return sp.hstack(blocks, format="csr", dtype=np.float32)

    def encode(self, questions: Sequence[str]) -> sp.csr_matrix:
        """The questions' vectors, as `transform` gives them, without its per-call
        overhead (about 4 ms a vectorizer for one short text, most of a search): the
        documented TF-IDF formula over the fitted `vocabulary_` and `idf_` and the
        vectorizer's own `build_analyzer()`. A test checks it against `transform`."""
        if not self._fast:
            self._fast = [
                (v.build_analyzer(), v.vocabulary_, v.idf_, v.sublinear_tf, offset)
                for (v, _), offset in zip(self.vectorizers, self._offsets(), strict=True)
            ]
        cleaned = self.preprocessor.preprocess_texts(questions)
        indptr, indices, values = [0], [], []
        for text in cleaned:
            for analyze, vocabulary, idf, sublinear, offset in self._fast:
                counts: dict[int, int] = {}
                for gram in analyze(text):
                    column = vocabulary.get(gram)
                    if column is not None:
                        counts[column] = counts.get(column, 0) + 1
                if not counts:
                    continue
                columns = np.fromiter(counts, dtype=np.int64, count=len(counts))
                tf = np.fromiter(counts.values(), dtype=np.float64, count=len(counts))
                weights = (np.log(tf) + 1.0 if sublinear else tf) * idf[columns]
                weights /= np.sqrt(np.dot(weights, weights))
                indices.append(columns + offset)
                values.append(weights)
            indptr.append(sum(len(c) for c in indices))
        width = sum(len(v.vocabulary_) for v, _ in self.vectorizers)
        matrix = sp.csr_matrix(
            (
                np.concatenate(values).astype(np.float32) if values else np.zeros(0, np.float32),
                np.concatenate(indices) if indices else np.zeros(0, np.int64),
                np.asarray(indptr),
            ),
            shape=(len(cleaned), width),
        )
        matrix.sort_indices()
        return matrix

    def _offsets(self) -> list[int]:
        offsets, total = [], 0
        for vectorizer, _ in self.vectorizers:
            offsets.append(total)
            total += len(vectorizer.vocabulary_)
        return offsets

    def encode_reference(self, questions: Sequence[str]) -> sp.csr_matrix:
        """scikit-learn's own `transform` (what `encode` must equal)."""
        cleaned = self.preprocessor.preprocess_texts(questions)
        blocks = [v.transform(cleaned) for v, _ in self.vectorizers]
        return sp.hstack(blocks, format="csr", dtype=np.float32)

    def tokens(self, text: str) -> list[str]:
        return self.preprocessor.preprocess_texts([text])[0].split()


class Bm25Encoder:
    def __init__(self, params: dict[str, Any], preprocessing: PreprocessingConfig) -> None:
        self.params = params
        self.preprocessor = Preprocessor(preprocessing)
        self.vocabulary: dict[str, int] = {}
        self.k1 = float(params.get("k1", 1.5))
        self.b = float(params.get("b", 0.75))

    def tokens(self, text: str) -> list[str]:
        return _TOKEN.findall(self.preprocessor.preprocess_texts([text])[0])

    def fit_documents(self, contexts: Sequence[str]) -> sp.csr_matrix:
        corpus = [self.tokens(c) for c in contexts]
        retriever = bm25s.BM25(k1=self.k1, b=self.b)
        retriever.index(corpus, show_progress=False)
        terms = sorted({t for doc in corpus for t in doc})
        self.vocabulary = {t: i for i, t in enumerate(terms)}
        columns = [np.asarray(retriever.get_scores([t]), dtype=np.float32) for t in terms]
        by_term = sp.csr_matrix(np.vstack(columns)) if columns else sp.csr_matrix((0, len(corpus)))
        return by_term.T.tocsr()

    def encode(self, questions: Sequence[str]) -> sp.csr_matrix:
        rows, cols = [], []
        for row, question in enumerate(questions):
            ids = {self.vocabulary[t] for t in self.tokens(question) if t in self.vocabulary}
            rows.extend([row] * len(ids))
            cols.extend(sorted(ids))
        data = np.ones(len(rows), dtype=np.float32)
        shape = (len(questions), len(self.vocabulary))
        return sp.csr_matrix((data, (rows, cols)), shape=shape)


def make_encoder(kind: str, params: dict[str, Any], preprocessing: PreprocessingConfig) -> Encoder:
    if kind == "bm25":
        return Bm25Encoder(params, preprocessing)
    return TfidfEncoder(params, preprocessing)
