"""Predictions and scores: the bodies of `/predict` and `/predict_scores`."""

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StrictInt, model_validator

from shared.schemas.strings import ColumnName, IdText

# Labels keep the type they had in the CSV: integers stay integers, the rest are strings.
Label = StrictInt | str


class PredictRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    model_id: IdText
    texts: list[str] = Field(min_length=1)


class Prediction(BaseModel):
    label: Label
    confidence: float


class PredictResponse(BaseModel):
    model_id: str
    predictions: list[Prediction]


class ScoresRequest(BaseModel):
    """Score models on a stored dataset, or on texts with their true labels."""

    model_config = ConfigDict(extra="forbid")

    model_ids: Annotated[list[IdText], Field(min_length=1, max_length=20)]
    dataset_id: IdText | None = None
    texts: list[str] | None = None
    labels: list[Label] | None = None
    text_column: ColumnName | None = None
    label_column: ColumnName | None = None

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
        return self


class ScoreResult(BaseModel):
    model_id: str
    scores: list[float]
    roc_auc: float | None
    fpr: list[float]
    tpr: list[float]
    positive_label: Label | None = None


class ScoresResponse(BaseModel):
    results: list[ScoreResult]
    labels: list[Label]
