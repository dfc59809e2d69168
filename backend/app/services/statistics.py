"""A model's statistics from the prediction log: per hour, day or week, the predictions'
count, class mix, mean confidence, share under a confidence threshold and latency
percentiles. A name covers all its versions; an id, `name@alias` or `name:version` one
version. The figures come from the prediction summary (app/registry/summary_bins.py has
its bins and their error bounds); accuracy and macro-F1 from the feedback on the logged
predictions, where there is some."""

from datetime import UTC, datetime, timedelta

from app.core.errors import InvalidInputError, NotFoundError
from app.core.times import as_utc
from app.registry.base import Registry
from app.registry.prediction_statistics import BucketFigures, SqlPredictionStatistics
from app.registry.summary_bins import (
    latency_percentile,
    share_from,
    share_is_exact,
    threshold_groups,
)
from app.services.references import is_reference, resolve_model_id
from shared.schemas.statistics import BucketStatistics, ModelStatistics, StatisticsPeriod

DEFAULT_DAYS = 30
DEFAULT_CONFIDENCE_BELOW = 0.6


class StatisticsService:
    def __init__(self, *, registry: Registry, store: SqlPredictionStatistics) -> None:
        self.registry = registry
        self.store = store

    def model_ids(self, ref: str) -> list[str]:
        """The versions `ref` names: an id or a reference one, a name all of them (404:
        none)."""
        if is_reference(ref):
            return [resolve_model_id(self.registry, ref)]
        if self.registry.get_model(ref) is not None:
            return [ref]
        ids = self.store.model_ids_of_name(ref)
        if not ids:
            raise NotFoundError(f"no model has the id or the name {ref!r}")
        return ids

    def statistics(
        self,
        ref: str,
        *,
        period: StatisticsPeriod = StatisticsPeriod.DAY,
        start: datetime | None = None,
        end: datetime | None = None,
        segment: str | None = None,
        confidence_below: float = DEFAULT_CONFIDENCE_BELOW,
        now: datetime | None = None,
    ) -> ModelStatistics:
        """The buckets with predictions in [start, end): by default the last 30 days;
        start rounded down and end up to whole hours."""
        start, end = time_range(start, end, now)
        model_ids = self.model_ids(ref)
        figures = self.store.buckets(
            model_ids,
            period=period,
            start=start,
            end=end,
            segment=segment,
            confidence_groups=threshold_groups(confidence_below),
        )
        exact = share_is_exact(confidence_below)
        return ModelStatistics(
            model=ref,
            model_ids=model_ids,
            segment=segment,
            period=period,
            start=start,
            end=end,
            confidence_below=confidence_below,
            segments=self.store.segments(model_ids, start=start, end=end),
            buckets=[_bucket(f, confidence_below, exact) for f in figures],
        )


def _bucket(f: BucketFigures, confidence_below: float, exact: bool) -> BucketStatistics:
    feedback = sum(f.feedback.values())
    if not f.count:  # feedback on predictions the summary no longer has (none in practice)
        return BucketStatistics(
            start=f.start.replace(tzinfo=UTC),
            count=0,
            class_mix={},
            mean_confidence=0.0,
            low_confidence_share=0.0,
            low_confidence_exact=exact,
            latency_p50_ms=0.0,
            latency_p95_ms=0.0,
            feedback_count=feedback,
            accuracy=_accuracy(f.feedback),
            macro_f1=macro_f1(f.feedback),
        )
    return BucketStatistics(
        start=f.start.replace(tzinfo=UTC),
        count=f.count,
        class_mix=f.class_mix,
        mean_confidence=f.confidence_sum / f.count,
        low_confidence_share=share_from(
            f.confidence[0], f.confidence[1], f.count, confidence_below
        ),
        low_confidence_exact=exact,
        latency_p50_ms=latency_percentile(f.latency_histogram, 50),
        latency_p95_ms=latency_percentile(f.latency_histogram, 95),
        known_token_share=(
            f.known_share_sum / f.known_share_count if f.known_share_count else None
        ),
        feedback_count=feedback,
        accuracy=_accuracy(f.feedback),
        macro_f1=macro_f1(f.feedback),
    )


def _accuracy(pairs: dict[tuple[str, str], int]) -> float | None:
    total = sum(pairs.values())
    if not total:
        return None
    return sum(n for (predicted, true), n in pairs.items() if predicted == true) / total


def macro_f1(pairs: dict[tuple[str, str], int]) -> float | None:
    """The mean over the labels seen (true or predicted) of 2TP / (2TP + FP + FN), from
    (predicted, true) -> count; None without feedback."""
    if not sum(pairs.values()):
        return None
    labels = {label for pair in pairs for label in pair}
    scores = []
    for label in labels:
        tp = pairs.get((label, label), 0)
        fp = sum(n for (p, t), n in pairs.items() if p == label and t != label)
        fn = sum(n for (p, t), n in pairs.items() if t == label and p != label)
        scores.append(2 * tp / (2 * tp + fp + fn))
    return sum(scores) / len(scores)


def time_range(
    start: datetime | None, end: datetime | None, now: datetime | None = None
) -> tuple[datetime, datetime]:
    """[start, end) in UTC, by default the last 30 days, widened to whole hours (the
    summary's grain): start rounded down, end up; 422 when start is not before end."""
    end = as_utc(end) if end is not None else (now or datetime.now(UTC))
    start = as_utc(start) if start is not None else end - timedelta(days=DEFAULT_DAYS)
    if start >= end:
        raise InvalidInputError(
            f"start ({start.isoformat()}) must be before end ({end.isoformat()})"
        )
    return _hour(start), _hour(end + timedelta(hours=1) - timedelta.resolution)


def _hour(at: datetime) -> datetime:
    return at.replace(minute=0, second=0, microsecond=0)
