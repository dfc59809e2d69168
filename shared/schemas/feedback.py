"""Feedback: the true label of a text a model was asked about, given afterwards (for a
logged prediction, a text, or a CSV of texts), kept by model name."""

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from shared.schemas.strings import ALIAS_PATTERN, NO_NUL, SegmentName

FEEDBACK_LABEL_MAX = 1000


def _number_as_text(value: object) -> object:
    """A whole number as its text (1 is the label "1"): /predict answers a 0/1 model's
    labels as numbers, and a client may send one back as it got it."""
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


# a label as the model's classes are compared: text
LabelText = Annotated[
    str,
    BeforeValidator(_number_as_text),
    Field(min_length=1, max_length=FEEDBACK_LABEL_MAX, pattern=NO_NUL),
]


class FeedbackCreate(BaseModel):
    """One true label: for a logged prediction (`prediction_id`; its text and segment come
    from the log) or for a text (`text`, with `segment`, default 'default'); exactly one of
    the two. A label the model does not know is refused unless `add_class` is true."""

    model_config = ConfigDict(extra="forbid")

    prediction_id: str | None = Field(None, min_length=1, max_length=32, pattern=NO_NUL)
    text: str | None = Field(None, min_length=1, pattern=NO_NUL)
    label: LabelText
    segment: SegmentName | None = None
    add_class: bool = False

    @model_validator(mode="after")
    def _one_of_id_or_text(self) -> "FeedbackCreate":
        if (self.prediction_id is None) == (self.text is None):
            raise ValueError("give exactly one of prediction_id and text")
        if self.prediction_id is not None and self.segment is not None:
            raise ValueError("segment is taken from the logged prediction; leave it out")
        if self.text is not None and not self.text.strip():
            raise ValueError("text is empty or only whitespace")
        if not self.label.strip():
            raise ValueError("label is empty or only whitespace")
        return self


class FeedbackRead(BaseModel):
    id: str
    model_name: str
    model_id: str  # the version the feedback was given against
    prediction_id: str | None
    text: str | None  # null when the log kept no text (PREDICTION_LOG_TEXTS=false)
    label: str
    segment: str
    source: Literal["prediction", "text", "csv"]
    created_at: datetime


class FeedbackImported(BaseModel):
    added: int  # rows stored
    matched_predictions: int  # of them, texts found in the name's prediction log


class FeedbackRetrainRequest(BaseModel):
    """A new version of the name trained on its parent's data and the name's feedback.
    `move_alias`: an alias of the name to move to the new version if it is better on the
    held-out feedback."""

    model_config = ConfigDict(extra="forbid")

    move_alias: str | None = Field(None, pattern=ALIAS_PATTERN)
    description: str | None = Field(None, max_length=2000, pattern=NO_NUL)


class ComparisonScores(BaseModel):
    n: int  # labelled texts scored
    accuracy: float
    macro_f1: float
    roc_auc: float | None = None  # binary models only


class ScoresOfBoth(BaseModel):
    parent: ComparisonScores
    new: ComparisonScores


class FeedbackComparison(BaseModel):
    """How a version retrained from feedback compares with its parent: on the parent's
    held-out split (left out of the new version's data) and on the held-out feedback."""

    parent_id: str
    feedback_train_rows: int
    feedback_holdout_rows: int
    parent_holdout: ScoresOfBoth
    feedback_holdout: ScoresOfBoth | None  # None: too little feedback to hold any out
    better: bool  # on the held-out feedback, by the rule in docs/api.md
    move_alias: str | None = None
