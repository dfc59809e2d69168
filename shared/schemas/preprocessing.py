"""The preprocessing a model is trained with, and applies again when it predicts."""

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from shared.schemas.strings import NO_NUL

StopWordList = Literal["english", "russian"]


class PreprocessingConfig(BaseModel):
    """Every preprocessing step, chosen before training; the same steps run at prediction time."""

    model_config = ConfigDict(extra="forbid")

    lowercase: bool = Field(True, description="Lower-case every text.")
    strip_punctuation: bool = Field(False, description="Replace punctuation with spaces.")
    strip_non_alphanumeric: bool = Field(
        False, description="Replace everything but letters, digits and spaces with spaces."
    )
    stop_words: list[StopWordList] = Field(
        default_factory=list, description="Built-in stop-word lists to remove."
    )
    custom_stop_words: list[Annotated[str, Field(pattern=NO_NUL)]] = Field(
        default_factory=list, max_length=10_000, description="Extra words to remove."
    )
    drop_duplicates: bool = Field(True, description="Drop repeated texts before training.")
    drop_empty: bool = Field(True, description="Drop texts that are empty after preprocessing.")
