"""The preprocessing a model is trained with, and applies again when it predicts."""

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from shared.schemas.strings import DICTIONARY_WORD_PATTERN, NO_NUL

# chinese: jieba's words, so only text split by jieba (tokenizer jieba, or auto on Chinese
# text, which then picks jieba) has them to remove
StopWordList = Literal["english", "russian", "chinese"]
# auto: the training data's script decides (app/ml/language.py); regex: words as the
# vectorizer's word pattern finds them (today's behaviour); jieba: Chinese word segmentation
Tokenizer = Literal["auto", "regex", "jieba"]
Stemming = Literal["none", "english", "russian"]  # Snowball stemmers
# an entry of jieba's user dictionary: one token
DictionaryWord = Annotated[
    str, Field(min_length=1, max_length=100, pattern=DICTIONARY_WORD_PATTERN)
]


class PreprocessingConfig(BaseModel):
    """Every preprocessing step, chosen before training; the same steps run at prediction time."""

    model_config = ConfigDict(extra="forbid")

    lowercase: bool = Field(True, description="Lower-case every text.")
    strip_punctuation: bool = Field(False, description="Replace punctuation with spaces.")
    strip_non_alphanumeric: bool = Field(
        False, description="Replace everything but letters, digits and spaces with spaces."
    )
    stop_words: list[StopWordList] = Field(
        default_factory=list,
        description="Built-in stop-word lists to remove. chinese removes jieba's words: it "
        "needs the jieba tokenizer (auto picks it for Chinese text when this list is named).",
    )
    keep_negations: bool = Field(
        True,
        description="Keep the lists' negations (not, no, never, without; не, нет, ни, "
        "никогда, без; 不, 没, 没有, 别, 无, 非, 未, …): they turn a text's meaning. A "
        "config saved before 2026-12-05 has false, as its lists dropped them then.",
    )
    custom_stop_words: list[Annotated[str, Field(pattern=NO_NUL)]] = Field(
        default_factory=list, max_length=10_000, description="Extra words to remove."
    )
    tokenizer: Tokenizer = Field(
        "auto",
        description=(
            "How texts are split into words. auto: detected from the training data (Chinese: "
            "character 1-3-grams for TF-IDF kinds with the word analyzer, jieba for Keras "
            "kinds or when new_words are given; other scripts: regex); regex: the word "
            "pattern; jieba: Chinese word segmentation."
        ),
    )
    new_words: list[DictionaryWord] = Field(
        default_factory=list,
        max_length=10_000,
        description="Words jieba keeps whole: user dictionary entries added before segmentation.",
    )
    stemming: Stemming = Field(
        "none", description="Reduce words to their Snowball stem (english, russian)."
    )
    drop_duplicates: bool = Field(True, description="Drop repeated texts before training.")
    drop_empty: bool = Field(True, description="Drop texts that are empty after preprocessing.")


def stored_config(data: object) -> PreprocessingConfig:
    """A config as a model stored it: one saved before `keep_negations` existed dropped the
    lists' negations, and goes on doing so (the registry's rows gained it in 0017); one
    saved before tokenizers (or saying `auto`, which a fit resolves) split by the word
    pattern, which is `regex`: a stored model never detects its language again."""
    if isinstance(data, dict):
        data = {"keep_negations": False, **data}
        if data.get("tokenizer", "auto") == "auto":
            data["tokenizer"] = "regex"
    return PreprocessingConfig.model_validate(data)
