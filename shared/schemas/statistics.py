"""Statistics of the prediction log: per time bucket, how many predictions a model made,
which labels, how confident and how fast (GET /api/v1/models/{model_ref}/statistics)."""

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, Field


class StatisticsPeriod(StrEnum):
    """A bucket's length; buckets start on the hour, at 00:00 UTC, on Mondays 00:00 UTC."""

    HOUR = "hour"
    DAY = "day"
    WEEK = "week"


class BucketStatistics(BaseModel):
    start: datetime = Field(description="the bucket's start (UTC)")
    count: int = Field(description="predictions logged in the bucket")
    class_mix: dict[str, int] = Field(description="predictions per label answered")
    mean_confidence: float
    low_confidence_share: float = Field(
        description="share of the predictions whose confidence is under `confidence_below`"
    )
    latency_p50_ms: float = Field(description="median latency (linear interpolation)")
    latency_p95_ms: float = Field(description="95th percentile latency (linear interpolation)")


class ModelStatistics(BaseModel):
    """Accuracy and macro-F1 are not here: they need feedback (true labels), which the
    log does not have yet."""

    model: str = Field(description="the model as the request named it")
    model_ids: list[str] = Field(description="the versions counted (a name: all of them)")
    segment: str | None
    period: StatisticsPeriod
    start: datetime
    end: datetime
    confidence_below: float
    buckets: list[BucketStatistics] = Field(description="buckets with predictions, oldest first")
