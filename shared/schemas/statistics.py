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
    low_confidence_exact: bool = Field(
        True,
        description="whether `low_confidence_share` is exact: the threshold is a multiple of "
        "0.01 (the confidence histogram's bin edges); otherwise the bin holding it is "
        "counted in proportion (error at most that bin's share)",
    )
    latency_p50_ms: float = Field(
        description="median latency, from a log-spaced histogram (10 bins a decade): within "
        "12.2 % of percentile_cont over the raw latencies"
    )
    latency_p95_ms: float = Field(description="95th percentile latency, as the median")
    known_token_share: float | None = Field(
        None,
        description="mean share of the texts' tokens known to the model's vocabulary, over "
        "the predictions that have one (null: none has)",
    )
    feedback_count: int = Field(
        0, description="feedback rows given for the bucket's logged predictions"
    )
    accuracy: float | None = Field(
        None, description="share of the feedback whose true label is the predicted one"
    )
    macro_f1: float | None = Field(
        None,
        description="mean F1 over the labels in the bucket's feedback (true or predicted)",
    )


class ModelStatistics(BaseModel):
    """Read from the prediction summary, whose grain is the hour: `start` is rounded down
    and `end` up to whole hours. Accuracy and macro-F1 are null in a bucket without
    feedback."""

    model: str = Field(description="the model as the request named it")
    model_ids: list[str] = Field(description="the versions counted (a name: all of them)")
    segment: str | None
    period: StatisticsPeriod
    start: datetime
    end: datetime
    confidence_below: float
    segments: list[str] = Field(
        default_factory=list,
        description="every segment with predictions in the range, whatever `segment` picks",
    )
    buckets: list[BucketStatistics] = Field(description="buckets with predictions, oldest first")
