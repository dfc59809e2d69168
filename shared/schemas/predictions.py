"""Predictions and scores: the bodies of `/predict` and `/predict_scores`."""

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from shared.schemas.explanations import Explanation
from shared.schemas.labels import Label
from shared.schemas.metrics import ClassMetrics
from shared.schemas.strings import DEFAULT_SEGMENT, ColumnName, IdText, ModelRef, SegmentName

__all__ = ["Label"]


class PredictRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    model_id: ModelRef  # an id, name@alias or name:version
    texts: list[str] = Field(min_length=1)
    # per text, the terms that pushed it towards and away from its label (slower: ask only
    # when shown), at most `explain_terms` on each side
    explain: bool = False
    explain_terms: int = Field(10, ge=1, le=200)
    # the class or label every text is explained for (one of the model's); None: each
    # text's answer (a multi-label model: its most probable label, applying or not)
    explain_label: Label | None = None
    # the business line the texts belong to, kept with each prediction in the log
    segment: SegmentName = DEFAULT_SEGMENT
    # false: these predictions are not kept in the prediction log (a client asking again
    # about texts it already predicted, e.g. for another label's explanation)
    log: bool = True


class ClassProbability(BaseModel):
    label: Label
    probability: float


class Prediction(BaseModel):
    # a multi-label model: the labels that apply, joined with ", " ("" when none does)
    label: Label
    confidence: float
    # every class's probability, in the model's class order (multi-label: each label's own
    # probability; they need not sum to 1)
    probabilities: list[ClassProbability] = Field(default_factory=list)
    # a multi-label model: the labels whose probability reaches the threshold; None otherwise
    labels: list[Label] | None = None
    # share of the text's tokens in the model's vocabulary; None when it has no tokens
    known_token_share: float | None = None
    # why the answer may say little (few or no known words); None when nothing to say
    warning: str | None = None
    # present when the request asked for it (explain: true)
    explanation: Explanation | None = None
    # the prediction's id in the prediction log; None when logging is off
    prediction_id: str | None = None


class PredictResponse(BaseModel):
    model_id: str  # the model that answered (a reference in the request resolved to it)
    version: int | None = None  # its version (None only when it is no longer known)
    predictions: list[Prediction]


class ScoresRequest(BaseModel):
    """Score models on a stored dataset, or on texts with their true labels."""

    model_config = ConfigDict(extra="forbid")

    model_ids: Annotated[list[ModelRef], Field(min_length=1, max_length=20)]
    dataset_id: IdText | None = None
    texts: list[str] | None = None
    labels: list[Label] | None = None
    text_column: ColumnName | None = None
    label_column: ColumnName | None = None
    # for a dataset: "test" scores each model trained on it on its own held-out split
    # (dataset + test_size + random_state reproduce it); "all" scores every row
    split: Literal["all", "test"] = "all"

    @model_validator(mode="after")
    def _one_source(self) -> "ScoresRequest":
        if self.dataset_id is None and self.texts is None:
            raise ValueError("give either dataset_id, or texts and labels")
        if self.dataset_id is not None and self.texts is not None:
            raise ValueError("give dataset_id or texts, not both")
        if self.texts is not None:
            if not self.texts:
                raise ValueError("texts must not be empty")
            if self.labels is None or len(self.labels) != len(self.texts):
                raise ValueError("labels must be given, one per text")
            if self.split != "all":
                raise ValueError('split "test" needs a dataset_id')
        return self


class ScoreResult(BaseModel):
    model_id: str  # the model scored (a reference in the request resolved to it)
    version: int | None = None
    scores: list[float]
    roc_auc: float | None
    fpr: list[float]
    tpr: list[float]
    positive_label: Label | None = None
    # the rows this model was scored on: how many, whether the model was trained on any of
    # them (then its figures are optimistic), and their true labels (`labels` of the
    # response when the model was scored on every row)
    n_rows: int = 0
    includes_training_rows: bool = False
    # how many of the rows the model trained on, told by the digests of its training texts
    # its bundle keeps (a dataset other than its own may repeat them); null when it keeps
    # none (a version saved before them, or imported from such): then only its datasets tell
    training_rows: int | None = None
    split: Literal["all", "test"] = "all"
    labels: list[Label] | None = None
    accuracy: float | None = None
    per_class: list[ClassMetrics] = Field(default_factory=list)
    # a multi-label model: roc_auc is the mean of its labels' (per_class holds each label's
    # ROC curve), accuracy counts rows with every label right, and scores is empty
    multilabel: bool = False
    # a multi-label model, per row: each label's probability and whether it applies (0/1),
    # in the model's label order (what its threshold per label is explored on)
    label_scores: list[list[float]] | None = None
    label_truths: list[list[int]] | None = None


class ScoresResponse(BaseModel):
    results: list[ScoreResult]
    labels: list[Label]
