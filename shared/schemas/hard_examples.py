"""Hard examples: the texts a model is least sure of, to be labelled first (active
learning). From the prediction log (GET /api/v1/models/{ref}/hard_examples) or from an
uploaded unlabelled dataset scored in the background
(POST/GET /api/v1/models/{ref}/hard_examples/datasets/{dataset_id})."""

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from shared.schemas.strings import ColumnName


class HardExampleStrategy(StrEnum):
    """How hard a text is, from its class probabilities: least_confidence 1 - max p
    (higher: harder); margin p1 - p2, the gap between the two most probable classes
    (smaller: harder); entropy -sum p ln p (higher: harder)."""

    LEAST_CONFIDENCE = "least_confidence"
    MARGIN = "margin"
    ENTROPY = "entropy"


class HardExample(BaseModel):
    """A logged prediction, as the hard-example queue shows it."""

    prediction_id: str
    text: str
    label: str = Field(description="the label the model predicted")
    confidence: float
    probabilities: dict[str, float] = Field(description="every class's probability, by label")
    score: float = Field(
        description="the strategy's value: higher is harder, but for margin smaller is harder"
    )
    segment: str
    created_at: datetime
    model_id: str = Field(description="the version that made the prediction")


class DatasetScoringRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text_column: ColumnName


class DatasetHardExample(BaseModel):
    """A row of a scored dataset, as the hard-example queue shows it."""

    row: int = Field(description="the row's index in the dataset (from 0, after the header)")
    text: str
    label: str = Field(description="the label the model predicts")
    confidence: float
    probabilities: dict[str, float]
    score: float = Field(
        description="the strategy's value: higher is harder, but for margin smaller is harder"
    )


class ScoringAccepted(BaseModel):
    """The answer to a dataset's scoring: the task to follow (GET /api/v1/tasks/{id})."""

    task_id: str
    model_id: str
    dataset_id: str
    text_column: str
