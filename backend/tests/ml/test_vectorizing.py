"""The multi-process TF-IDF fit gives what scikit-learn's own fit gives, bit for bit."""

import pickle
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from sklearn.linear_model import LogisticRegression

from app.ml.preprocessing import Preprocessor
from app.ml.sklearn_models import build_vectorizer
from app.ml.vectorizing import fit_tfidf
from shared.schemas import LogregParams

DEMO = Path(__file__).resolve().parents[3] / "demo_data_sample.csv"


@pytest.fixture(scope="module")
def corpus() -> tuple[list[str], list[int], list[str]]:
    """The demo comments, cleaned: 1,500 to fit on, the rest held out."""
    frame = pd.read_csv(DEMO, dtype={"comment_text": str}, keep_default_na=False)
    frame = Preprocessor().preprocess_dataset(frame, "comment_text")
    texts, labels = frame["comment_text"].tolist(), frame["toxic"].astype(int).tolist()
    return texts[:1500], labels[:1500], texts[1500:]


def assert_same_matrix(actual: sp.csr_matrix, expected: sp.csr_matrix) -> None:
    assert type(actual) is type(expected) and actual.shape == expected.shape
    assert actual.dtype == expected.dtype and actual.indices.dtype == expected.indices.dtype
    np.testing.assert_array_equal(actual.indptr, expected.indptr)
    np.testing.assert_array_equal(actual.indices, expected.indices)
    np.testing.assert_array_equal(actual.data, expected.data)


def fitted_both_ways(
    texts: list[str], holdout: list[str], jobs: int, **params: Any
) -> tuple[Any, Any, tuple, tuple]:
    reference = build_vectorizer(LogregParams(**params))
    expected = reference.fit_transform(texts), reference.transform(holdout)
    parallel = build_vectorizer(LogregParams(**params))
    actual = fit_tfidf(parallel, texts, holdout, jobs=jobs, min_texts_per_job=1)
    return reference, parallel, expected, actual


@pytest.mark.parametrize(
    "params",
    [
        {},  # the defaults: word 1-2-grams, min_df 2, at most 200,000 terms
        {"ngram_range": (1, 1), "min_df": 1, "max_df": 0.3},
        {"analyzer": "char_wb", "ngram_range": (2, 4), "min_df": 3},
        {"analyzer": "char", "ngram_range": (1, 3), "max_features": 500},
        {"max_features": 700, "sublinear_tf": False},  # many terms tie at the cut
    ],
)
@pytest.mark.parametrize("jobs", [2, 3])
def test_same_vocabulary_idf_and_matrices_as_sklearn(
    corpus: tuple[list[str], list[int], list[str]],
    params: dict,
    jobs: int,
    forked_slices: list[int],
) -> None:
    texts, _, holdout = corpus
    reference, parallel, expected, actual = fitted_both_ways(texts, holdout, jobs, **params)
    assert forked_slices == [jobs]  # the texts really were counted in `jobs` processes
    assert parallel.vocabulary_ == reference.vocabulary_
    assert all(type(i) is int for i in parallel.vocabulary_.values())
    np.testing.assert_array_equal(parallel.idf_, reference.idf_)
    assert_same_matrix(actual[0], expected[0])
    assert_same_matrix(actual[1], expected[1])
    # the fitted vectorizer then behaves as scikit-learn's, pickled or not
    unseen = ["a brand new comment about the film", "", holdout[0]]
    assert_same_matrix(parallel.transform(unseen), reference.transform(unseen))
    restored = pickle.loads(pickle.dumps(parallel))
    assert_same_matrix(restored.transform(unseen), reference.transform(unseen))


def test_a_classifier_on_either_fit_is_the_same_model(
    corpus: tuple[list[str], list[int], list[str]],
) -> None:
    texts, labels, holdout = corpus
    _, _, expected, actual = fitted_both_ways(texts, holdout, 2)
    ours = LogisticRegression(solver="liblinear", C=4.0).fit(actual[0], labels)
    theirs = LogisticRegression(solver="liblinear", C=4.0).fit(expected[0], labels)
    np.testing.assert_array_equal(ours.coef_, theirs.coef_)
    np.testing.assert_array_equal(ours.predict_proba(actual[1]), theirs.predict_proba(expected[1]))


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"min_df": 1000}, "no terms remain"),
        ({"min_df": 5, "max_df": 0.001}, "max_df corresponds to < documents than min_df"),
    ],
)
def test_the_same_errors_as_sklearn(
    corpus: tuple[list[str], list[int], list[str]], params: dict, message: str
) -> None:
    texts, _, holdout = corpus
    with pytest.raises(ValueError, match=message):
        build_vectorizer(LogregParams(**params)).fit(texts)
    with pytest.raises(ValueError, match=message):
        fit_tfidf(build_vectorizer(LogregParams(**params)), texts, holdout, jobs=2)


def test_no_terms_at_all_is_sklearns_empty_vocabulary_error() -> None:
    texts = ["a", "b c", "", "d"] * 10  # the word pattern wants two letters
    with pytest.raises(ValueError, match="empty vocabulary"):
        fit_tfidf(build_vectorizer(LogregParams(min_df=1)), texts, [], jobs=2, min_texts_per_job=1)


def test_small_corpora_and_one_job_use_sklearns_own_fit(
    corpus: tuple[list[str], list[int], list[str]], forked_slices: list[int]
) -> None:
    texts, _, holdout = corpus
    for jobs, min_texts in ((1, 1), (4, 10_000)):
        vectorizer = build_vectorizer(LogregParams())
        features, held = fit_tfidf(
            vectorizer, texts, holdout, jobs=jobs, min_texts_per_job=min_texts
        )
        assert features.shape[0] == len(texts) and held.shape[0] == len(holdout)
        assert all(type(i) is int for i in vectorizer.vocabulary_.values())
    assert forked_slices == []
