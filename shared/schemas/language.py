"""What a fit with `tokenizer: auto` found in its training data, and what it chose."""

from typing import Literal

from pydantic import BaseModel, Field

Language = Literal["zh", "ru", "other"]


class LanguageChoice(BaseModel):
    """The detected language of the training texts and the preprocessing chosen for it."""

    detected: Language = Field(description="zh: Chinese, ru: Russian (Cyrillic), other.")
    script_share: float = Field(
        description="Share of the sampled letters in the detected script (Han for zh, "
        "Cyrillic for ru; Latin and others for other)."
    )
    tokenizer: Literal["regex", "jieba"] = Field(description="The tokenizer the fit used.")
    analyzer: str | None = Field(
        None, description="The TF-IDF analyzer the fit used (null for Keras kinds)."
    )
    ngram_range: tuple[int, int] | None = None
    reason: str = Field(description="The choice in words.")
