"""Drift of a model's predictions (GET /api/v1/models/{model_ref}/drift): per segment and
time bucket, how far the class mix and the confidences moved from the model's own
held-out predictions (population stability index), and the share of tokens unknown to its
vocabulary."""

from datetime import datetime

from pydantic import BaseModel, Field

from shared.schemas.statistics import StatisticsPeriod


class DriftReference(BaseModel):
    """The model's predictions on its own held-out split, scored once and kept beside the
    model file."""

    available: bool
    reason: str | None = Field(None, description="why there is no reference")
    count: int = Field(0, description="held-out texts scored")
    class_mix: dict[str, float] = Field(default_factory=dict, description="share per label")
    confidence_histogram: list[float] = Field(
        default_factory=list, description="share per confidence bin of 0.1 (1.0 in the last)"
    )
    unknown_token_share: float | None = Field(
        None, description="mean share of the held-out texts' tokens unknown to the vocabulary"
    )


class DriftBucket(BaseModel):
    segment: str
    start: datetime = Field(description="the bucket's start (UTC)")
    count: int
    class_mix_psi: float | None = Field(description="PSI of the class mix; null: no reference")
    confidence_psi: float | None = Field(
        description="PSI of the confidence histogram (10 bins); null: no reference"
    )
    unknown_token_share: float | None = Field(
        description="mean share of the texts' tokens unknown to the model's vocabulary (null: "
        "the model has no vocabulary)"
    )
    class_mix_drift: bool = Field(
        description="class_mix_psi is over psi_threshold (and count reaches min_predictions)"
    )
    confidence_drift: bool = Field(
        description="confidence_psi is over psi_threshold (and count reaches min_predictions)"
    )
    unknown_token_drift: bool = Field(
        description="unknown_token_share is over the reference's by more than "
        "unknown_token_threshold"
    )


class ModelDrift(BaseModel):
    model: str = Field(description="the model as the request named it")
    model_id: str = Field(description="the version compared (a name: its newest version)")
    segment: str | None
    period: StatisticsPeriod
    start: datetime
    end: datetime
    psi_threshold: float
    unknown_token_threshold: float
    min_predictions: int = Field(
        1, description="a bucket with fewer predictions raises no flag (DRIFT_MIN_PREDICTIONS)"
    )
    reference: DriftReference
    flagged: bool = Field(description="whether any bucket has a flag up")
    buckets: list[DriftBucket] = Field(description="by segment, then oldest first")
