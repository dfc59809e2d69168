"""One text's feature row computed from the fitted vectorizers equals `transform`'s."""

import numpy as np
import pytest
from sklearn.feature_extraction.text import CountVectorizer, HashingVectorizer, TfidfVectorizer
from sklearn.pipeline import FeatureUnion

from app.ml.preprocessing import SEGMENTED_TOKEN_PATTERN, Preprocessor
from app.ml.row_features import one_row
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
    found = one_row(step, text)
    assert found is not None
    (indices, values), width = found
    expected = step.transform([text]).tocsr()  # type: ignore[attr-defined]
    expected.sort_indices()
    assert width == expected.shape[1]
    assert indices.tolist() == expected.indices.tolist()
    assert values.dtype == expected.data.dtype
    np.testing.assert_allclose(values, expected.data, rtol=1e-6, atol=1e-7)


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
    ],
)
def test_other_vectorizer_settings_give_transforms_row(vectorizer: CountVectorizer) -> None:
    step = FeatureUnion([("a", vectorizer), ("gone", "drop"), ("b", CountVectorizer())])
    step.fit(TRAIN)
    for text in TEXTS:
        same_as_transform(step, text)


def test_steps_it_does_not_reproduce_are_left_to_transform() -> None:
    custom = TfidfVectorizer(analyzer=str.split).fit(TRAIN)
    assert one_row(custom, TEXTS[0]) is None
    assert one_row(HashingVectorizer(), TEXTS[0]) is None
    union = FeatureUnion([("words", TfidfVectorizer()), ("custom", custom)]).fit(TRAIN)
    assert one_row(union, TEXTS[0]) is None
    weighted = FeatureUnion([("w", TfidfVectorizer())], transformer_weights={"w": 2.0})
    assert one_row(weighted.fit(TRAIN), TEXTS[0]) is None
