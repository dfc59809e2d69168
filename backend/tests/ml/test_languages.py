"""Preprocessing for Chinese and Russian: the tokenizer, new_words, stemming, detection, and
models trained on the demo files (demo_data/) through the product's training code."""

from pathlib import Path

import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from app.ml.artifacts import load_bundle
from app.ml.chinese import segment
from app.ml.language import detect_language, resolve_auto, script_warning
from app.ml.preprocessing import Preprocessor
from app.ml.sklearn_models import word_vectorizer
from app.ml.training import TrainSpec, train_model
from shared.schemas import LogregParams, PreprocessingConfig
from shared.schemas.params import parse_params
from testkit.data import zh_reviews, zh_reviews_holdout
from testkit.servers import REPO_ROOT
from testkit.training import train_spec

DEMO = REPO_ROOT / "demo_data"
ZH_DEMO, RU_DEMO = DEMO / "zh_reviews_demo.csv", DEMO / "ru_reviews_demo.csv"


def fit(tmp_path: Path, data: Path, kind: str = "logreg", **preprocessing: object):
    spec = TrainSpec(
        dataset_path=str(data),
        kind=kind,
        params={},
        preprocessing=dict(preprocessing),
        text_column="text",
        label_column="label",
        test_size=0.25,
        random_state=7,
        artifact_path=str(tmp_path / "model.zip"),
    )
    result = train_model(spec, lambda fraction, message: None)
    return result, load_bundle(tmp_path / "model.zip", expected_sha256=result.artifact_sha256)


def test_new_words_change_the_segmentation() -> None:
    text = "这台笔记本的散热模组很安静"
    assert "散热模组" not in segment(text)
    assert "散热模组" in segment(text, ["散热模组"])
    cfg = PreprocessingConfig(tokenizer="jieba", new_words=["散热模组"])
    assert Preprocessor(cfg).preprocess_texts([text]) == [" ".join(segment(text, ["散热模组"]))]


def test_stemming_russian_and_english() -> None:
    ru = Preprocessor(PreprocessingConfig(tokenizer="regex", stemming="russian"))
    assert ru.preprocess_texts(["Красивые кошки"]) == ru.preprocess_texts(["красивая кошка"])
    en = Preprocessor(PreprocessingConfig(tokenizer="regex", stemming="english"))
    assert en.preprocess_texts(["Running dogs!"]) == ["run dog!"]


def test_detection_by_script() -> None:
    zh = pd.read_csv(ZH_DEMO)["text"].tolist()
    ru = pd.read_csv(RU_DEMO)["text"].tolist()
    assert detect_language(zh)[0] == "zh"
    assert detect_language(ru)[0] == "ru"
    assert detect_language(["plain English words", None, 3.0]) == ("other", 1.0)
    chosen = resolve_auto(PreprocessingConfig(), LogregParams(), zh)
    assert chosen.params.analyzer == "char" and chosen.preprocessing.tokenizer == "regex"
    keras = resolve_auto(PreprocessingConfig(), parse_params("keras_cnn", None), zh)
    assert keras.preprocessing.tokenizer == "jieba" and keras.choice is not None
    given = resolve_auto(PreprocessingConfig(tokenizer="regex"), LogregParams(), zh)
    assert given.choice is None and given.params.analyzer == "word"


def test_the_chinese_stop_word_list_gets_jieba_words_from_auto() -> None:
    """Its entries are jieba's words: character n-grams of unsplit text have none to drop."""
    zh = pd.read_csv(ZH_DEMO)["text"].tolist()
    listed = PreprocessingConfig(stop_words=["chinese"])
    chosen = resolve_auto(listed, LogregParams(), zh)
    assert chosen.preprocessing.tokenizer == "jieba" and chosen.params.analyzer == "word"
    assert chosen.choice is not None
    assert chosen.choice.reason == "Chinese: jieba words (the chinese stop-word list)"
    both = listed.model_copy(update={"new_words": ["散热模组"]})
    reason = resolve_auto(both, LogregParams(), zh).choice.reason  # type: ignore[union-attr]
    assert reason == "Chinese: jieba words (new_words given, the chinese stop-word list)"
    # on texts that are not Chinese it changes nothing; a tokenizer given is kept
    ru = pd.read_csv(RU_DEMO)["text"].tolist()
    assert resolve_auto(listed, LogregParams(), ru).preprocessing.tokenizer == "regex"
    regex = listed.model_copy(update={"tokenizer": "regex"})
    assert resolve_auto(regex, LogregParams(), zh).preprocessing.tokenizer == "regex"


def test_a_model_with_the_chinese_list_applies_it_at_prediction(tmp_path: Path) -> None:
    result, model = fit(tmp_path, ZH_DEMO, stop_words=["chinese"])
    assert result.preprocessing["tokenizer"] == "jieba"
    assert result.preprocessing["stop_words"] == ["chinese"]
    assert result.metrics["roc_auc"] > 0.85
    assert model.preprocessor.preprocess_texts(["我的电脑不是很好"]) == ["电脑 不是 很 好"]
    vocabulary = word_vectorizer(model.pipeline).vocabulary_
    assert "的" not in vocabulary and "了" not in vocabulary


@pytest.mark.parametrize("data", [ZH_DEMO, RU_DEMO], ids=["zh", "ru"])
def test_demo_file_trains_well_above_chance(tmp_path: Path, data: Path) -> None:
    result, model = fit(tmp_path, data)
    assert result.metrics["roc_auc"] > 0.85
    language = result.preprocessing_report["language"]
    assert language["detected"] == ("zh" if data == ZH_DEMO else "ru")
    # the stored model applies the resolved choice: same scores as the fit's own held-out
    frame = pd.read_csv(data)
    proba = model.predict_proba(frame["text"].tolist())[:, model.classes.index("positive")]
    assert roc_auc_score(frame["label"] == "positive", proba) > 0.9


def test_jieba_with_new_words_is_stored_and_applied_at_prediction(tmp_path: Path) -> None:
    result, model = fit(tmp_path, ZH_DEMO, tokenizer="auto", new_words=["散热模组"])
    assert result.preprocessing["tokenizer"] == "jieba"
    assert model.preprocessor.config.new_words == ["散热模组"]
    assert model.preprocessor.preprocess_texts(["散热模组很好"])[0].startswith("散热模组 ")
    assert result.metrics["roc_auc"] > 0.85
    # segmented text keeps one-character words in the TF-IDF vocabulary
    assert any(len(term) == 1 for term in word_vectorizer(model.pipeline).vocabulary_)


def test_russian_stemming_model(tmp_path: Path) -> None:
    result, model = fit(tmp_path, RU_DEMO, tokenizer="regex", stemming="russian")
    assert result.metrics["roc_auc"] > 0.85
    assert model.predict(["Отличного качества, рекомендую!"]).labels == ["positive"]


@pytest.mark.keras
def test_keras_kind_gets_jieba_words_and_applies_them_after_loading(tmp_path: Path) -> None:
    spec = TrainSpec(
        dataset_path=str(ZH_DEMO),
        kind="keras_cnn",
        params={"epochs": 8, "batch_size": 16, "validation_split": 0.1, "patience": 8},
        preprocessing={},
        text_column="text",
        label_column="label",
        test_size=0.25,
        random_state=7,
        artifact_path=str(tmp_path / "model.zip"),
    )
    result = train_model(spec, lambda fraction, message: None)
    assert result.preprocessing["tokenizer"] == "jieba"
    assert result.preprocessing_report["language"]["tokenizer"] == "jieba"
    assert result.metrics["roc_auc"] > 0.75
    model = load_bundle(tmp_path / "model.zip", expected_sha256=result.artifact_sha256)
    assert model.preprocessor.config.tokenizer == "jieba"
    texts = pd.read_csv(ZH_DEMO)["text"].tolist()[:40]
    segmented = model.preprocessor.preprocess_texts(texts)
    assert all(" " in t for t in segmented)  # words, not whole clauses, reach the network


@pytest.mark.shared_data
def test_zh_reviews_with_default_settings(tmp_path: Path) -> None:
    """The issue's figure through the product's training code (bench/bench_languages.py
    prints it): the word pattern reached 0.70 here; detection picks character n-grams."""
    data, holdout = zh_reviews(), zh_reviews_holdout()
    if data is None or holdout is None:
        pytest.skip("../shared/data/zh_reviews_8k.csv is not here")
    spec = train_spec(
        data, tmp_path / "model.zip", text_column="text", label_column="label", random_state=42
    )
    result = train_model(spec, lambda fraction, message: None)
    assert result.preprocessing_report["language"]["detected"] == "zh"
    assert result.metrics["roc_auc"] >= 0.90
    model = load_bundle(tmp_path / "model.zip", expected_sha256=result.artifact_sha256)
    frame = pd.read_csv(holdout)
    proba = model.predict_proba(frame["text"].tolist())[:, model.classes.index("positive")]
    assert roc_auc_score(frame["label"] == "positive", proba) >= 0.91


def test_a_text_in_another_script_than_the_models_is_named() -> None:
    assert script_warning("the quality is good", "zh") == (
        "the model was trained on Chinese texts and this one is hardly written in Chinese "
        "characters: the answer is unreliable"
    )
    assert script_warning("iPhone 手机质量很好", "zh") is None  # a Latin brand in Chinese
    assert script_warning("good", "ru") is not None and "Cyrillic" in str(script_warning("a", "ru"))
    assert script_warning("хорошее качество", "ru") is None
    assert script_warning("12345 !!!", "zh") is None  # no letters: nothing to say
    assert script_warning("很好", "other") is None and script_warning("很好", None) is None
