"""A model's statistics from the prediction log: per hour, day or week, the predictions'
count, class mix, mean confidence, share under a confidence threshold and latency
percentiles. A name covers all its versions; an id, `name@alias` or `name:version` one
version. Accuracy and macro-F1 need feedback (true labels), which does not exist yet."""

from datetime import UTC, datetime, timedelta

from app.core.errors import InvalidInputError, NotFoundError
from app.registry.base import Registry
from app.registry.prediction_statistics import SqlPredictionStatistics
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
        """The buckets with predictions in [start, end): by default the last 30 days."""
        end = _utc(end) if end is not None else (now or datetime.now(UTC))
        start = _utc(start) if start is not None else end - timedelta(days=DEFAULT_DAYS)
        if start >= end:
            raise InvalidInputError(
                f"start ({start.isoformat()}) must be before end ({end.isoformat()})"
            )
        model_ids = self.model_ids(ref)
        figures = self.store.buckets(
            model_ids,
            period=period,
            start=start,
            end=end,
            segment=segment,
            confidence_below=confidence_below,
        )
        return ModelStatistics(
            model=ref,
            model_ids=model_ids,
            segment=segment,
            period=period,
            start=start,
            end=end,
            confidence_below=confidence_below,
            buckets=[
                BucketStatistics(
                    start=f.start.replace(tzinfo=UTC),
                    count=f.count,
                    class_mix=f.class_mix,
                    mean_confidence=f.confidence_sum / f.count,
                    low_confidence_share=f.low_confidence / f.count,
                    latency_p50_ms=f.latencies[50],
                    latency_p95_ms=f.latencies[95],
                )
                for f in figures
            ],
        )


def _utc(at: datetime) -> datetime:
    """A time without a zone is UTC."""
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)
