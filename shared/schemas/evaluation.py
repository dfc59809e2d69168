"""A model's mistakes on its own held-out split: the body of GET /models/{id}/errors."""

from typing import Literal

from pydantic import BaseModel

from shared.schemas.labels import Label

ErrorKind = Literal["false positive", "false negative", "misclassified"]


class Misclassified(BaseModel):
    # the dataset the row is in (a version fitted on several: a retrain on both), and its
    # data row in that dataset's CSV (0 = the first row after the header)
    dataset_id: str | None = None
    row: int
    text: str
    true_label: Label
    predicted_label: Label
    confidence: float  # the model's probability of the label it predicted
    kind: ErrorKind  # false positive / negative for binary models (positive: second class)


class ModelErrors(BaseModel):
    model_id: str
    n_test: int  # rows in the held-out split
    n_errors: int  # all misclassified rows, of which `rows` shows the most confident
    false_positives: int | None = None  # binary models only
    false_negatives: int | None = None
    positive_label: Label | None = None
    # the decision thresholds in force the rows were decided at ({label: threshold}); null:
    # the most probable class
    decision_thresholds: dict[str, float] | None = None
    rows: list[Misclassified]
