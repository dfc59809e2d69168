"""The prediction log's statistics, aggregated in SQL: one GROUP BY (bucket, label) pass
for the counts, class mix and confidence, one window-function pass for the latency
percentiles. Only a few rows per bucket come back to Python.

Percentiles: PostgreSQL has percentile_cont, SQLite does not; both dialects use the same
window query (ROW_NUMBER() and COUNT() OVER the bucket, ordered by latency), which keeps
only the one or two rows around each percentile's position, and the interpolation
between them is percentile_cont's (position p * (n - 1), counted from 0)."""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import (
    ColumnElement,
    Engine,
    Float,
    Table,
    case,
    cast,
    func,
    literal_column,
    or_,
    select,
)

from app.registry.tables import ModelRow, PredictionRow
from shared.schemas.statistics import StatisticsPeriod

_TABLE: Table = PredictionRow.__table__  # type: ignore[assignment]  # a Table at run time
# in hundredths, so that positions are integer arithmetic on both dialects
PERCENTILES = (50, 95)


@dataclass
class BucketFigures:
    start: datetime
    count: int = 0
    confidence_sum: float = 0.0
    low_confidence: int = 0
    class_mix: dict[str, int] = field(default_factory=dict)
    # percentile (in hundredths) -> latency (ms)
    latencies: dict[int, float] = field(default_factory=dict)


def bucket_expression(dialect: str, period: StatisticsPeriod) -> ColumnElement[str]:
    """The start of the row's bucket, as text 'YYYY-MM-DD HH:MM:SS' (UTC): the one
    dialect-specific piece. SQLite keeps times as text in UTC ('YYYY-MM-DD HH:MM:SS.ffffff'),
    PostgreSQL as timestamptz. Weeks start on Monday on both."""
    column = _TABLE.c.created_at
    if dialect == "postgresql":
        utc = func.timezone("UTC", column)
        return func.to_char(func.date_trunc(period.value, utc), "YYYY-MM-DD HH24:MI:SS")
    if period is StatisticsPeriod.HOUR:
        return func.substr(column, 1, 13).concat(":00:00")
    if period is StatisticsPeriod.DAY:
        return func.substr(column, 1, 10).concat(" 00:00:00")
    # the Monday on or before the day: 'weekday 0' is the next Sunday (or the day itself)
    return func.date(column, "weekday 0", "-6 days").concat(" 00:00:00")


class SqlPredictionStatistics:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def model_ids_of_name(self, name: str) -> list[str]:
        with self.engine.connect() as conn:
            query = select(ModelRow.id).where(ModelRow.name == name).order_by(ModelRow.version)
            return list(conn.scalars(query))

    def buckets(
        self,
        model_ids: Sequence[str],
        *,
        period: StatisticsPeriod,
        start: datetime,
        end: datetime,
        segment: str | None,
        confidence_below: float,
    ) -> list[BucketFigures]:
        """The figures of each bucket with predictions in [start, end), oldest first."""
        c = _TABLE.c
        bucket = bucket_expression(self.engine.dialect.name, period).label("bucket")
        where = [c.model_id.in_(model_ids), c.created_at >= start, c.created_at < end]
        if segment is not None:
            where.append(c.segment == segment)
        low = func.sum(case((c.confidence < confidence_below, 1), else_=0))
        by_label = (
            select(bucket, c.label, func.count(), func.sum(c.confidence), low)
            .where(*where)
            .group_by(literal_column("bucket"), c.label)
        )
        ranked = (
            select(
                bucket,
                c.latency_ms,
                func.row_number().over(partition_by=bucket, order_by=c.latency_ms).label("rn"),
                func.count().over(partition_by=bucket).label("n"),
            )
            .where(*where)
            .subquery()
        )
        r = ranked.c
        # 1-based ranks of the rows either side of each percentile's position p * (n - 1)
        # (integer division: floor on both dialects, no math functions SQLite may lack)
        near = or_(
            *(r.rn.in_([(r.n - 1) * p // 100 + 1, (r.n - 1) * p // 100 + 2]) for p in PERCENTILES)
        )
        around = select(r.bucket, r.rn, r.n, cast(r.latency_ms, Float)).where(near)
        figures: dict[str, BucketFigures] = {}
        with self.engine.connect() as conn:
            for key, label, count, confidence_sum, low_count in conn.execute(by_label):
                bucket_figures = figures.setdefault(key, BucketFigures(_parse(key)))
                bucket_figures.count += count
                bucket_figures.confidence_sum += confidence_sum
                bucket_figures.low_confidence += low_count
                bucket_figures.class_mix[label] = count
            ranks: dict[str, dict[int, float]] = {}
            sizes: dict[str, int] = {}
            for key, rank, n, latency in conn.execute(around):
                ranks.setdefault(key, {})[rank] = latency
                sizes[key] = n
        for key, bucket_figures in figures.items():
            for p in PERCENTILES:
                bucket_figures.latencies[p] = _interpolate(ranks[key], sizes[key], p)
        return [figures[key] for key in sorted(figures)]


def _interpolate(latencies: dict[int, float], n: int, p: int) -> float:
    """percentile_cont: between the values at 0-based ranks floor(p(n-1)) and the next,
    p in hundredths."""
    below, rest = divmod((n - 1) * p, 100)
    low = latencies[below + 1]
    high = latencies.get(below + 2, low)
    return low + (high - low) * rest / 100


def _parse(key: str) -> datetime:
    return datetime.fromisoformat(key)
