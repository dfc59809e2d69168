import math

import pandas as pd
import pytest

from app.ml.preprocessing import EmptyDatasetError, Preprocessor
from shared.schemas import PreprocessingConfig


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
