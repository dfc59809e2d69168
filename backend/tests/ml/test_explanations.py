"""Explanations of real fitted pipelines: exact contributions, spans in the original text."""

import random
from collections import Counter

import numpy as np
import pytest
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import FeatureUnion, Pipeline

from app.ml.explanations import explain
from app.ml.occlusion import MAX_OCCLUSIONS, explain_by_occlusion
from app.ml.preprocessing import Preprocessor
from app.ml.sklearn_models import SklearnTrainedModel, build_pipeline
from app.ml.text_offsets import cleaned_with_offsets
from shared.schemas import LinearSvcParams, LogregParams, NaiveBayesParams, PreprocessingConfig
from testkit.samples import NEGATIVE, POSITIVE

STRIPPING = PreprocessingConfig(
    lowercase=True, strip_punctuation=True, stop_words=["english"], drop_duplicates=False
)


def corpus(n: int = 300, seed: int = 0) -> tuple[list[str], list[int]]:
    rng = random.Random(seed)
    texts, labels = [], []
    for i in range(n):
        pool = POSITIVE if i % 2 else NEGATIVE
        texts.append(f"{rng.choice(pool)} {rng.choice(pool)}")
        labels.append(i % 2)
    return texts, labels


def fitted(pipeline: Pipeline, config: PreprocessingConfig | None = None) -> SklearnTrainedModel:
    preprocessor = Preprocessor(config)
    texts, labels = corpus()
    pipeline.fit(preprocessor.preprocess_texts(texts), np.asarray(labels))
    return SklearnTrainedModel(preprocessor=preprocessor, classes=[0, 1], pipeline=pipeline)


def logit(model: SklearnTrainedModel, text: str) -> float:
    return float(model.pipeline.decision_function(model.preprocessor.preprocess_texts([text]))[0])


@pytest.mark.parametrize(
    "text",
    [
        "You are a STUPID idiot!!! Thanks, I  agree...",
        "  Ünïcode İdiot — the   article, “nice” photo; you MORON.",
        "ΟΔΟΣ: shut up, you moron",
        "nothing-here_at all , , ,",
    ],
)
@pytest.mark.parametrize(
    "config",
    [
        PreprocessingConfig(),
        STRIPPING,
        PreprocessingConfig(lowercase=True, strip_non_alphanumeric=True),
        PreprocessingConfig(custom_stop_words=["you", "the"]),
    ],
)
def test_offsets_reproduce_the_preprocessor(text: str, config: PreprocessingConfig) -> None:
    preprocessor = Preprocessor(config)
    mapped = cleaned_with_offsets(preprocessor, text)
    assert mapped.exact
    assert mapped.text == preprocessor.preprocess_texts([text])[0]
    for i, char in enumerate(mapped.text):
        if char != " ":
            assert (
                text[mapped.origin[i]].casefold()[:1] == char.casefold()[:1] or not char.isalnum()
            )


@pytest.mark.parametrize(
    "text",
    [
        "这个酒店的房间 很脏，散热模组不好! OK Good",
        "  服务员也很冷漠。。 物流速度太慢了  ",
        "质量比我想象中的要好",
    ],
)
@pytest.mark.parametrize(
    "config",
    [
        PreprocessingConfig(tokenizer="jieba"),
        PreprocessingConfig(tokenizer="jieba", strip_punctuation=True, new_words=["散热模组"]),
        PreprocessingConfig(tokenizer="jieba", custom_stop_words=["的", "也"]),
    ],
)
def test_offsets_follow_jieba_segmentation(text: str, config: PreprocessingConfig) -> None:
    # jieba's words are joined by spaces the original does not have: each still maps back
    preprocessor = Preprocessor(config)
    mapped = cleaned_with_offsets(preprocessor, text)
    assert mapped.exact
    assert mapped.text == preprocessor.preprocess_texts([text])[0]
    for i, char in enumerate(mapped.text):
        if char != " ":
            assert text[mapped.origin[i]].casefold() == char


def test_a_segmented_chinese_model_points_at_its_words() -> None:
    words = {1: ["很脏", "太慢了", "冷漠", "不好"], 0: ["不错", "很好", "干净", "满意"]}
    rng = random.Random(0)
    texts = [f"{rng.choice(words[i % 2])}的房间{rng.choice(words[i % 2])}" for i in range(200)]
    labels = [i % 2 for i in range(200)]
    preprocessor = Preprocessor(PreprocessingConfig(tokenizer="jieba"))
    pipeline = build_pipeline(
        LogregParams(min_df=1, char_ngram_range=None), random_state=0,
        token_pattern=preprocessor.token_pattern,
    )  # fmt: skip
    pipeline.fit(preprocessor.preprocess_texts(texts), np.asarray(labels))
    model = SklearnTrainedModel(preprocessor=preprocessor, classes=[0, 1], pipeline=pipeline)
    text = "这个酒店的房间很脏"
    answer = explain(model, text, 1, top=1000)
    assert answer.exact_spans
    by_term = {t.term: t for t in answer.towards + answer.away}
    assert [text[s:e] for s, e in by_term["很脏"].spans] == ["很脏"]
    assert by_term["很脏"].weight > 0


def test_linear_contributions_are_exact_and_spans_point_at_the_original() -> None:
    model = fitted(build_pipeline(LogregParams(min_df=1), random_state=0), STRIPPING)
    text = "THANKS, the article… looks GREAT; but you are a stupid IDIOT!!"
    toxic = explain(model, text, 1, top=1000)
    assert toxic.method == "linear" and toxic.exact_spans
    total = sum(t.weight for t in toxic.towards + toxic.away) + (toxic.bias or 0.0)
    assert total == pytest.approx(logit(model, text), abs=1e-4)
    by_term = {t.term: t for t in toxic.towards + toxic.away}
    assert [text[s:e] for s, e in by_term["idiot"].spans] == ["IDIOT"]
    assert [text[s:e] for s, e in by_term["stupid idiot"].spans] == ["stupid IDIOT"]
    assert by_term["idiot"].weight > 0 and by_term["thanks"].weight < 0
    assert [text[s:e] for s, e in by_term["thanks"].spans] == ["THANKS"]
    clean = explain(model, text, 0, top=1000)  # the other class: the same terms, mirrored
    assert {t.term: -t.weight for t in clean.towards + clean.away} == pytest.approx(
        {k: v.weight for k, v in by_term.items()}
    )


def test_a_word_and_char_wb_union_maps_char_ngrams_to_their_characters() -> None:
    union = FeatureUnion(
        [
            ("word", TfidfVectorizer(ngram_range=(1, 2), lowercase=False)),
            ("char", TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4), lowercase=False)),
        ]
    )
    model = fitted(Pipeline([("features", union), ("clf", LogisticRegression())]), STRIPPING)
    text = "Well... You, IDIOT!"
    answer = explain(model, text, 1, top=10_000)
    total = sum(t.weight for t in answer.towards + answer.away) + (answer.bias or 0.0)
    assert total == pytest.approx(logit(model, text), abs=1e-4)
    terms = answer.towards + answer.away
    idi = [t for t in terms if t.term == "idi"]
    assert idi and [text[s:e] for s, e in idi[0].spans] == ["IDI"]
    padded = [t for t in terms if t.term == "ot "]  # char_wb pads words with a space
    assert padded and [text[s:e] for s, e in padded[0].spans] == ["OT"]
    assert any(t.term == "idiot" and text[t.spans[0][0] : t.spans[0][1]] == "IDIOT" for t in terms)


def test_naive_bayes_weights_are_its_log_probability_ratios() -> None:
    model = fitted(build_pipeline(NaiveBayesParams(min_df=1, variant="multinomial"), 0))
    text = "you stupid moron, thanks"
    answer = explain(model, text, 1, top=1000)
    assert answer.method == "naive_bayes"
    cleaned = model.preprocessor.preprocess_texts([text])
    log_ratio = np.diff(model.pipeline.predict_log_proba(cleaned)[0])[0]
    total = sum(t.weight for t in answer.towards + answer.away) + (answer.bias or 0.0)
    assert total == pytest.approx(float(log_ratio), abs=1e-4)
    assert answer.towards[0].weight > 0 and any(t.term == "moron" for t in answer.towards)


def svm_decision(model: SklearnTrainedModel, text: str) -> float:
    """The mean decision function of the calibrated SVM's fitted SVMs (one, or one a fold)."""
    features = model.pipeline[:-1].transform(model.preprocessor.preprocess_texts([text]))
    calibrated = model.pipeline[-1].calibrated_classifiers_
    return float(np.mean([c.estimator.decision_function(features)[0] for c in calibrated]))


def test_calibrated_svm_is_one_svm_explained_exactly() -> None:
    model = fitted(build_pipeline(LinearSvcParams(min_df=1), 0))
    assert len(model.pipeline[-1].calibrated_classifiers_) == 1  # one SVM on all the rows
    text = "shut up you moron, thanks for the article"
    answer = explain(model, text, 1, top=10_000)
    assert answer.method == "linear"
    assert "moron" in {t.term for t in answer.towards}
    total = sum(t.weight for t in answer.towards + answer.away) + (answer.bias or 0.0)
    assert total == pytest.approx(svm_decision(model, text), abs=1e-4)
    proba = model.predict_proba([text])[0, 1]  # its sigmoid of that one decision value
    decisions = np.array([svm_decision(model, t) for t in ("you idiot", "thanks", text)])
    probas = model.predict_proba(["you idiot", "thanks", text])[:, 1]
    assert np.all(np.diff(probas[np.argsort(decisions)]) >= 0) and 0 < proba < 1


def test_a_calibrated_svm_of_fold_models_from_older_bundles_is_still_explained() -> None:
    pipeline = build_pipeline(LinearSvcParams(min_df=1), 0)
    pipeline.set_params(clf__ensemble=True)  # what bundles made before 2026-12-03 hold
    model = fitted(pipeline)
    assert len(model.pipeline[-1].calibrated_classifiers_) == 3
    text = "shut up you moron"
    answer = explain(model, text, 1, top=10_000)
    total = sum(t.weight for t in answer.towards + answer.away) + (answer.bias or 0.0)
    assert total == pytest.approx(svm_decision(model, text), abs=1e-4)


def test_char_wb_terms_span_every_place_the_analyzer_counted_them() -> None:
    vectorizer = TfidfVectorizer(analyzer="char_wb", ngram_range=(1, 3), lowercase=False)
    model = fitted(Pipeline([("tfidf", vectorizer), ("clf", LogisticRegression())]))
    text = "an idiot, a real idiot: idiotic. Diodes id"
    cleaned = model.preprocessor.preprocess_texts([text])[0]
    counts = Counter(vectorizer.build_analyzer()(cleaned))
    answer = explain(model, text, 1, top=10_000)
    assert answer.towards and answer.away
    for term in answer.towards + answer.away:
        assert len(term.spans) == counts[term.term] or term.term == " "  # padding alone
        for start, end in term.spans:
            assert text[start:end].lower() == term.term.strip(" ")
    by_term = {t.term: t for t in answer.towards + answer.away}
    # word starts only: not the "id" inside "diodes"
    assert [s for s, _ in by_term[" id"].spans] == [3, 17, 24, 40]


def test_occlusion_is_bounded_and_points_at_words() -> None:
    """The generic path (Keras' one) works on any model; here a counted scikit-learn one."""
    base = fitted(build_pipeline(LogregParams(min_df=1), 0))
    calls: list[int] = []

    class Counted(SklearnTrainedModel):
        def _proba(self, cleaned_texts: list[str]) -> np.ndarray:
            calls.append(len(cleaned_texts))
            return super()._proba(cleaned_texts)

    model = Counted(preprocessor=base.preprocessor, classes=[0, 1], pipeline=base.pipeline)
    text = "Thanks! You are a stupid idiot."
    mapped = cleaned_with_offsets(model.preprocessor, text)
    answer = explain_by_occlusion(model, mapped, text, 1, 1, 10)
    assert answer.method == "occlusion" and calls == [7]  # the text and 6 words without
    towards = {t.term for t in answer.towards}
    assert {"stupid", "idiot"} <= towards and "thanks" in {t.term for t in answer.away}
    for term in answer.towards + answer.away:
        assert [text[s:e].lower() for s, e in term.spans] == [term.term]  # the model's term
    long_text = " ".join([f"word{i}" for i in range(500)] + ["idiot"])
    calls.clear()
    mapped = cleaned_with_offsets(model.preprocessor, long_text)
    answer = explain_by_occlusion(model, mapped, long_text, 1, 1, 3)
    assert len(calls) == 1 and calls[0] <= MAX_OCCLUSIONS + 1  # one bounded call
    assert answer.note and "501 distinct words" in answer.note and "runs" in answer.note


def test_occlusion_removes_a_word_everywhere_and_lists_it_once() -> None:
    """A repeated word is one term with every occurrence's span, never on both sides; a
    long text of few distinct words is still occluded word by word."""
    model = fitted(build_pipeline(LogregParams(min_df=1), 0))
    text = "Idiot, you are an idiot and a stupid IDIOT. " + "really " * 100
    mapped = cleaned_with_offsets(model.preprocessor, text)
    answer = explain_by_occlusion(model, mapped, text, 1, 1, 100)
    terms = [t.term for t in answer.towards + answer.away]
    assert len(terms) == len(set(terms))
    idiot = next(t for t in answer.towards if t.term == "idiot")
    assert [text[s:e] for s, e in idiot.spans] == ["Idiot", "idiot", "IDIOT"]
    really = next(t for t in answer.towards + answer.away if t.term == "really")
    assert len(really.spans) == 100 and answer.note is None
    without = model.predict_proba(
        [text.replace("Idiot", "").replace("idiot", "").replace("IDIOT", "")]
    )
    assert idiot.weight == pytest.approx(
        model.predict_proba([text])[0, 1] - without[0, 1], abs=1e-4
    )


def test_char_ngrams_span_squeezed_whitespace() -> None:
    vectorizer = TfidfVectorizer(analyzer="char", ngram_range=(3, 3), lowercase=False)
    model = fitted(Pipeline([("tfidf", vectorizer), ("clf", LogisticRegression())]))
    text = "Oh   you \t IDIOT"  # the Preprocessor lowercases; char n-grams squeeze the spaces
    answer = explain(model, text, 1, top=10_000)
    terms = {t.term: t for t in answer.towards + answer.away}
    assert [text[s:e] for s, e in terms["u i"].spans] == ["u \t I"]
    assert [text[s:e] for s, e in terms["dio"].spans] == ["DIO"]


@pytest.mark.parametrize(
    "params", [LogregParams(min_df=1), LinearSvcParams(min_df=1), NaiveBayesParams(min_df=1)]
)
def test_a_multilabel_model_explains_each_label_by_its_own_binary_model(params: object) -> None:
    """One-vs-rest: label k's terms are its own classifier's, exactly; for the linear kinds
    the weights and the bias sum to that classifier's decision function."""
    preprocessor = Preprocessor(None)
    texts, toxic = corpus()
    rude = [int("idiot" in t or "moron" in t) for t in texts]
    matrix = np.column_stack([toxic, rude])
    pipeline = build_pipeline(params, 0, multilabel=True)  # type: ignore[arg-type]
    pipeline.fit(preprocessor.preprocess_texts(texts), matrix)
    model = SklearnTrainedModel(
        preprocessor=preprocessor, classes=["toxic", "rude"], pipeline=pipeline, multilabel=True
    )
    text = "you are a stupid idiot, thanks"
    features = pipeline[:-1].transform(preprocessor.preprocess_texts([text]))
    for k, label in enumerate(["toxic", "rude"]):
        answer = explain(model, text, label, top=10_000)
        assert answer.label == label
        assert answer.method == (
            "naive_bayes" if isinstance(params, NaiveBayesParams) else "linear"
        )
        if answer.method == "linear":
            estimator = pipeline[-1].estimators_[k]
            if hasattr(estimator, "calibrated_classifiers_"):
                estimator = estimator.calibrated_classifiers_[0].estimator
            total = sum(t.weight for t in answer.towards + answer.away) + (answer.bias or 0.0)
            assert total == pytest.approx(float(estimator.decision_function(features)[0]), abs=1e-4)
    rude = explain(model, text, "rude", top=10_000)
    assert "idiot" in {t.term for t in rude.towards}
