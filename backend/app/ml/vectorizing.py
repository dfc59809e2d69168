"""Fitting a TfidfVectorizer on several cores, with the same result as scikit-learn's fit.

`TfidfVectorizer.fit` tokenises and counts every text in one Python loop, on one core:
for word 1-2-grams it is most of a logistic regression's training time. Here the texts
(the training texts, then the held-out ones the evaluation needs anyway) are cut into one
slice per process and counted at once, in forked children (`forked.py`). The slices'
vocabularies are merged in order, so every term gets the index scikit-learn's own count
would give it; from there the steps are scikit-learn's: document frequencies on the
training rows only, min_df / max_df / max_features (ties broken by the same argsort),
terms sorted by name, then scikit-learn's TfidfTransformer. The fitted vectorizer and
both matrices are equal, bit for bit, to `fit_transform(texts)` and `transform(holdout)`
(tests/ml/test_vectorizing.py checks it for each analyzer and limit).
"""

import itertools
from collections import defaultdict
from collections.abc import Callable, Sequence
from numbers import Integral

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfTransformer, TfidfVectorizer

from app.ml.forked import can_fork, map_forked

# Below this many texts per process, forking and merging cost more than they save.
MIN_TEXTS_PER_JOB = 2_000

Counted = tuple[list[str], np.ndarray, np.ndarray, np.ndarray]  # terms, indices, indptr, counts


def fit_tfidf(
    vectorizer: TfidfVectorizer,
    texts: Sequence[str],
    holdout: Sequence[str],
    *,
    jobs: int = 1,
    min_texts_per_job: int = MIN_TEXTS_PER_JOB,
) -> tuple[sp.csr_matrix, sp.csr_matrix]:
    """Fit `vectorizer` on `texts` (in place); return the tf-idf rows of texts and holdout."""
    jobs = min(jobs, (len(texts) + len(holdout)) // max(min_texts_per_job, 1))
    if jobs <= 1 or not can_fork() or not _counts_like_sklearn(vectorizer):
        features = vectorizer.fit_transform(texts)
        compact_vocabulary(vectorizer)
        return features, vectorizer.transform(holdout)
    analyze = vectorizer.build_analyzer()
    counts, terms = _count_in_parallel(analyze, [*texts, *holdout], jobs, vectorizer.dtype)
    train_counts, holdout_counts = counts[: len(texts)], counts[len(texts) :]
    columns, vocabulary = _select_terms(vectorizer, train_counts, terms)
    train_counts = train_counts[:, columns]
    holdout_counts = holdout_counts[:, columns]
    holdout_counts.sort_indices()  # as transform() counts them: by term index
    tfidf = TfidfTransformer(
        norm=vectorizer.norm,
        use_idf=vectorizer.use_idf,
        smooth_idf=vectorizer.smooth_idf,
        sublinear_tf=vectorizer.sublinear_tf,
    ).fit(train_counts)
    vectorizer.vocabulary_ = vocabulary
    vectorizer.idf_ = tfidf.idf_  # the public setter builds the vectorizer's transformer
    return tfidf.transform(train_counts, copy=False), tfidf.transform(holdout_counts, copy=False)


def compact_vocabulary(vectorizer: TfidfVectorizer) -> None:
    """Make the vocabulary's indices plain ints: scikit-learn leaves numpy ints after
    pruning, which pickle one object each (0.4 s instead of 0.02 s for 90,000 terms)."""
    vectorizer.vocabulary_ = {term: int(index) for term, index in vectorizer.vocabulary_.items()}


def _counts_like_sklearn(vectorizer: TfidfVectorizer) -> bool:
    """The settings this module reproduces; any other falls back to scikit-learn's fit."""
    return vectorizer.vocabulary is None and not vectorizer.binary and vectorizer.use_idf


def _count_in_parallel(
    analyze: Callable[[str], list[str]], docs: list[str], jobs: int, dtype: type
) -> tuple[sp.csr_matrix, list[str]]:
    """The term counts of `docs` (rows in order) and the terms, numbered by first sight."""
    bounds = np.linspace(0, len(docs), jobs + 1).astype(int)
    slices = [(int(a), int(b)) for a, b in itertools.pairwise(bounds)]
    parts = map_forked(lambda bound: _count(analyze, docs[bound[0] : bound[1]]), slices)
    # Terms new to the merged vocabulary are numbered in the order their slice met them,
    # slice after slice: the order one pass over all texts would have met them in.
    index = {term: i for i, term in enumerate(parts[0][0])}
    indices, indptrs, values = [parts[0][1]], [parts[0][2]], [parts[0][3]]
    offset = parts[0][2][-1]
    for terms, part_indices, indptr, counts in parts[1:]:
        mapping = np.fromiter(
            (index.setdefault(term, len(index)) for term in terms), np.int64, len(terms)
        )
        indices.append(mapping[part_indices])
        indptrs.append(indptr[1:] + offset)
        values.append(counts)
        offset += indptr[-1]
    index_dtype = np.int32 if offset <= np.iinfo(np.int32).max else np.int64
    merged = sp.csr_matrix(
        (
            np.concatenate(values),
            np.concatenate(indices).astype(index_dtype),
            np.concatenate(indptrs).astype(index_dtype),
        ),
        shape=(len(docs), len(index)),
        dtype=dtype,
    )
    merged.sort_indices()
    return merged, list(index)


def _count(analyze: Callable[[str], list[str]], docs: Sequence[str]) -> Counted:
    """Term counts of `docs`: the loop of CountVectorizer._count_vocab, with the terms
    numbered in the order they are first met."""
    vocabulary: defaultdict[str, int] = defaultdict()
    vocabulary.default_factory = vocabulary.__len__
    indices: list[int] = []
    indptr = [0]
    counts: list[int] = []
    for doc in docs:
        counter: dict[int, int] = {}
        for term in analyze(doc):
            j = vocabulary[term]
            counter[j] = counter.get(j, 0) + 1
        indices.extend(counter)
        counts.extend(counter.values())
        indptr.append(len(indices))
    index_dtype = np.int32 if len(vocabulary) <= np.iinfo(np.int32).max else np.int64
    return (
        list(vocabulary),
        np.asarray(indices, dtype=index_dtype),  # int32: half the bytes a child sends back
        np.asarray(indptr, dtype=np.int64),
        np.asarray(counts, dtype=np.intc),
    )


def _select_terms(
    vectorizer: TfidfVectorizer, train_counts: sp.csr_matrix, terms: list[str]
) -> tuple[np.ndarray, dict[str, int]]:
    """The columns to keep, in the vocabulary's (alphabetical) order, and the vocabulary:
    what CountVectorizer.fit_transform's _sort_features and _limit_features keep."""
    n_docs = train_counts.shape[0]
    dfs = np.bincount(train_counts.indices, minlength=train_counts.shape[1])
    if not dfs.any():
        raise ValueError("empty vocabulary; perhaps the documents only contain stop words")
    max_df, min_df = vectorizer.max_df, vectorizer.min_df
    high = max_df if isinstance(max_df, Integral) else max_df * n_docs
    low = min_df if isinstance(min_df, Integral) else min_df * n_docs
    if high < low:
        raise ValueError("max_df corresponds to < documents than min_df")
    # dfs > 0: a term only the held-out texts have is no term of the training vocabulary
    kept = np.flatnonzero((dfs > 0) & (dfs >= low) & (dfs <= high))
    names = [terms[i] for i in kept]
    columns = kept[sorted(range(len(kept)), key=names.__getitem__)]
    limit = vectorizer.max_features
    if limit is not None and len(columns) > limit:
        frequencies = np.asarray(train_counts.sum(axis=0)).ravel()
        columns = columns[np.sort((-frequencies[columns]).argsort()[:limit])]
    if len(columns) == 0:
        raise ValueError("After pruning, no terms remain. Try a lower min_df or a higher max_df.")
    return columns, {terms[c]: i for i, c in enumerate(columns)}
