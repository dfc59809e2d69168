import math

import pandas as pd
import pytest

from app.ml.preprocessing import EmptyDatasetError, Preprocessor
from shared.schemas import PreprocessingConfig
from shared.schemas.preprocessing import stored_config


def make(**options: object) -> Preprocessor:
    return Preprocessor(PreprocessingConfig(**options))


def test_defaults_lowercase_only() -> None:
    assert make().preprocess_texts(["Hello, World!"]) == ["hello, world!"]


def test_punctuation_and_non_alphanumerics() -> None:
    assert make(strip_punctuation=True).preprocess_texts(["Hi!!! you... (there)"]) == [
        "hi you there"
    ]
    cleaned = make(strip_non_alphanumeric=True).preprocess_texts(["a+b=c $5 ~ok_ü"])
    assert cleaned == ["a b c 5 ok ü"]


def test_stop_words_builtin_and_custom() -> None:
    english = make(stop_words=["english"]).preprocess_texts(["The cat, and the hat"])
    assert english == ["cat, hat"]
    russian = make(stop_words=["russian"]).preprocess_texts(["Я и ты идём в кино"])
    assert russian == ["идём кино"]
    custom = make(custom_stop_words=["Wiki", " page "]).preprocess_texts(["wiki PAGE edit"])
    assert custom == ["edit"]


def test_texts_keep_order_and_count_and_missing_become_empty() -> None:
    out = make(drop_empty=True, drop_duplicates=True).preprocess_texts(
        ["b", None, math.nan, "b", 12]
    )
    assert out == ["b", "", "", "b", "12"]


def test_preprocess_dataset_drops_empty_and_duplicates_but_keeps_input() -> None:
    df = pd.DataFrame({"text": ["Hello", "hello", "  ", None, "Bye"], "y": [1, 1, 0, 0, 0]})
    out = make().preprocess_dataset(df, "text")
    assert out["text"].tolist() == ["hello", "bye"]
    assert out.index.tolist() == [0, 4]
    assert df["text"].tolist()[0] == "Hello"  # the input is not changed
    kept = make(drop_duplicates=False, drop_empty=False).preprocess_dataset(df, "text")
    assert len(kept) == 5


def test_preprocess_dataset_errors() -> None:
    df = pd.DataFrame({"text": ["", " "]})
    with pytest.raises(EmptyDatasetError):
        make().preprocess_dataset(df, "text")
    with pytest.raises(KeyError):
        make().preprocess_dataset(df, "missing")


def test_multiline_text_stays_one_text() -> None:
    assert make(strip_punctuation=True).preprocess_texts(["line one\nline two"]) == [
        "line one line two"
    ]


@pytest.mark.parametrize(
    ("lists", "text", "kept"),
    [
        (["russian"], "я не рекомендую это", "не рекомендую"),
        (["english"], "this is not good", "not good"),
    ],
)
def test_the_lists_negations_stay_unless_the_config_says_otherwise(
    lists: list[str], text: str, kept: str
) -> None:
    """«Рекомендую» and «не рекомендую» would otherwise be one text to the model."""
    config = PreprocessingConfig.model_validate({"stop_words": lists})
    assert Preprocessor(config).preprocess_texts([text]) == [kept]
    dropping = config.model_copy(update={"keep_negations": False})
    assert Preprocessor(dropping).preprocess_texts([text]) == [kept.split()[-1]]
    # a config stored before the field existed dropped them: it goes on doing so
    stored = config.model_dump(exclude={"keep_negations"})
    assert stored_config(stored).keep_negations is False
    assert stored_config(config.model_dump()).keep_negations is True


def test_a_stored_config_from_before_tokenizers_splits_by_the_word_pattern() -> None:
    """A stored model never detects its language again: no tokenizer, or `auto` (which
    only a fit resolves), is the word pattern it split by, `regex`; the others stay."""
    assert stored_config({}).tokenizer == "regex"
    assert stored_config({"tokenizer": "auto"}).tokenizer == "regex"
    assert stored_config({"tokenizer": "jieba"}).tokenizer == "jieba"
    assert PreprocessingConfig.model_validate({}).tokenizer == "auto"  # a new fit's default


def test_the_chinese_list_drops_jiebas_function_words_and_keeps_negations() -> None:
    text = "我们觉得这个酒店的服务不是很好，房间也没有窗户"
    config = PreprocessingConfig(tokenizer="jieba", stop_words=["chinese"])
    kept = Preprocessor(config).preprocess_texts([text])
    assert kept == ["觉得 酒店 服务 不是 很 好 ， 房间 没有 窗户"]
    dropping = config.model_copy(update={"keep_negations": False})
    assert Preprocessor(dropping).preprocess_texts([text]) == ["觉得 酒店 服务 很 好 ， 房间 窗户"]
    # unsplit Chinese has no spaces to find the words by: the list cannot apply, which is
    # why `auto` picks jieba when it is named (app/ml/language.py) and the Train page warns
    regex = config.model_copy(update={"tokenizer": "regex"})
    assert Preprocessor(regex).preprocess_texts([text]) == [text]
