"""One text's feature row for an explanation (`features_of`) is the feature step's
`transform` row, whatever the vectorizers' settings."""

import numpy as np
import pytest
from sklearn.feature_extraction.text import CountVectorizer, HashingVectorizer, TfidfVectorizer
from sklearn.pipeline import FeatureUnion

from app.ml.explanations import features_of
from app.ml.preprocessing import SEGMENTED_TOKEN_PATTERN, Preprocessor
from app.ml.sklearn_models import build_vectorizer
from shared.schemas import LinearSvcParams, LogregParams, NaiveBayesParams
from testkit.samples import NEGATIVE, POSITIVE

TRAIN = Preprocessor().preprocess_texts(
    [f"{a} {b}" for a, b in zip(POSITIVE * 3, NEGATIVE[::-1] * 3, strict=False)]
    + ["质量非常好，物超所值，推荐购买。", "屏幕很亮丽，非常悦目"]
)
TEXTS = [
    *Preprocessor().preprocess_texts(
        [
            "You are a STUPID idiot!!! Thanks, I  agree... idiot idiot",
            "  Ünïcode İdiot — the   article, “nice” photo; you MORON.",
            "质量非常好，推荐！ 还不错",
        ]
    ),
    "",
    "zzzz qqqq",  # nothing known
    POSITIVE[0],
]


def same_as_transform(step: object, text: str) -> None:
    indices, values = features_of(step, text)
    expected = step.transform([text]).tocsr()  # type: ignore[attr-defined]
    got = dict(zip(indices.tolist(), values.tolist(), strict=True))
    assert sorted(got) == sorted(expected.indices.tolist())
    assert values.dtype == expected.data.dtype
    for index, value in zip(expected.indices.tolist(), expected.data.tolist(), strict=True):
        np.testing.assert_allclose(got[index], value, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize(
    "params",
    [
        LogregParams(),
        LinearSvcParams(),
        NaiveBayesParams(),
        LogregParams(min_df=1, char_ngram_range=None, sublinear_tf=False),
        LogregParams(min_df=1, analyzer="char", ngram_range=(1, 3)),  # Chinese's default
    ],
)
def test_each_kinds_vectorizer_gives_transforms_row(params: LogregParams) -> None:
    step = build_vectorizer(params.model_copy(update={"min_df": 1}))
    step.fit(TRAIN)
    for text in TEXTS:
        same_as_transform(step, text)


@pytest.mark.parametrize(
    "vectorizer",
    [
        TfidfVectorizer(norm="l1", use_idf=False),
        TfidfVectorizer(norm=None, binary=True, analyzer="char_wb", ngram_range=(2, 4)),
        TfidfVectorizer(token_pattern=SEGMENTED_TOKEN_PATTERN, stop_words=["the", "you"]),
        CountVectorizer(ngram_range=(1, 2)),
        HashingVectorizer(n_features=2**10),
    ],
)
def test_unions_with_dropped_parts_give_transforms_row(vectorizer: CountVectorizer) -> None:
    step = FeatureUnion([("a", vectorizer), ("gone", "drop"), ("b", CountVectorizer())])
    step.fit(TRAIN)
    for text in TEXTS:
        same_as_transform(step, text)


def test_a_weighted_union_is_left_to_its_own_transform() -> None:
    step = FeatureUnion(
        [("a", TfidfVectorizer()), ("b", CountVectorizer())], transformer_weights={"a": 2.0}
    ).fit(TRAIN)
    for text in TEXTS:
        same_as_transform(step, text)
