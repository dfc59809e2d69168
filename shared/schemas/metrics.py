"""Per-class figures, shared by a model's stored metrics and the scores of /predict_scores."""

from pydantic import BaseModel, Field

from shared.schemas.labels import Label


class ClassMetrics(BaseModel):
    """One class against the rest: precision, recall, F1 and how many rows hold it (support);
    for a multiclass model also its one-vs-rest ROC AUC and curve."""

    label: Label
    precision: float
    recall: float
    f1: float
    support: int
    roc_auc: float | None = None
    fpr: list[float] = Field(default_factory=list)
    tpr: list[float] = Field(default_factory=list)
