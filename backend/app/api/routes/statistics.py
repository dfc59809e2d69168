"""A model's statistics and drift from the prediction log (HTTP only:
app/services/statistics.py, app/services/drift.py)."""

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Path, Query

from app.api.deps import SegmentQuery, ServicesDep
from app.services.statistics import DEFAULT_CONFIDENCE_BELOW
from shared.schemas.drift import ModelDrift
from shared.schemas.statistics import ModelStatistics, StatisticsPeriod
from shared.schemas.strings import REF_OR_NAME_PATTERN

router = APIRouter(prefix="/api/v1/models", tags=["statistics"])

StatisticsRef = Annotated[
    str,
    Path(
        pattern=REF_OR_NAME_PATTERN,
        max_length=133,
        description="A model's id, `name@alias` or `name:version` (one version), or a name "
        "(all its versions)",
    ),
]
# the window of the prediction log both read
WindowStart = Annotated[datetime | None, Query(description="default: end - 30 days")]
WindowEnd = Annotated[datetime | None, Query(description="default: now")]


@router.get("/{model_ref}/statistics", response_model=ModelStatistics)
def model_statistics(
    model_ref: StatisticsRef,
    services: ServicesDep,
    period: StatisticsPeriod = StatisticsPeriod.DAY,
    start: WindowStart = None,
    end: WindowEnd = None,
    segment: SegmentQuery = None,
    confidence_below: Annotated[float, Query(ge=0, le=1)] = DEFAULT_CONFIDENCE_BELOW,
) -> ModelStatistics:
    """Per hour, day or week of [start, end): count, class mix, mean confidence, share
    under `confidence_below`, latency p50/p95, from the prediction log."""
    return services.statistics.statistics(
        model_ref,
        period=period,
        start=start,
        end=end,
        segment=segment,
        confidence_below=confidence_below,
    )


@router.get("/{model_ref}/drift", response_model=ModelDrift)
def model_drift(
    model_ref: StatisticsRef,
    services: ServicesDep,
    period: StatisticsPeriod = StatisticsPeriod.DAY,
    start: WindowStart = None,
    end: WindowEnd = None,
    segment: SegmentQuery = None,
    psi_threshold: Annotated[
        float | None, Query(gt=0, description="default: DRIFT_PSI_THRESHOLD")
    ] = None,
    unknown_token_threshold: Annotated[
        float | None, Query(ge=0, le=1, description="default: DRIFT_UNKNOWN_TOKEN_THRESHOLD")
    ] = None,
    min_predictions: Annotated[
        int | None, Query(ge=1, description="default: DRIFT_MIN_PREDICTIONS")
    ] = None,
) -> ModelDrift:
    """Per segment and hour, day or week of [start, end): PSI of the class mix and of the
    confidences against the model's held-out predictions, and the unknown-token share,
    each flagged over its threshold. A name means its newest version."""
    return services.drift.drift(
        model_ref,
        period=period,
        start=start,
        end=end,
        segment=segment,
        psi_threshold=psi_threshold,
        unknown_token_threshold=unknown_token_threshold,
        min_predictions=min_predictions,
    )
