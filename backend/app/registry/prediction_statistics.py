"""The prediction log's statistics, read from its summary (revision 0012): one GROUP BY
(bucket, label) over the summary's hours, summing the counts and every histogram bin; an
hour is the summary's own grain, a day or a week the sum of its hours. A query over a
month reads at most 720 hours per segment and label, whatever the log's size.

Accuracy and macro-F1 come from the feedback joined with the logged predictions it is for
(feedback.prediction_id = predictions.id), grouped by bucket, predicted and true label.
"""

import operator
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import reduce
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Engine,
    Select,
    Table,
    and_,
    func,
    literal,
    literal_column,
    or_,
    select,
)

from app.registry.summary_bins import LATENCY_COLUMNS
from app.registry.tables import FeedbackRow, ModelRow, PredictionRow, PredictionSummaryRow
from shared.schemas.statistics import StatisticsPeriod

_SUMMARY: Table = PredictionSummaryRow.__table__
_LOG: Table = PredictionRow.__table__  # type: ignore[assignment]  # a Table at run time
_FEEDBACK: Table = FeedbackRow.__table__  # type: ignore[assignment]


@dataclass
class BucketFigures:
    start: datetime
    segment: str | None = None  # by segment only
    count: int = 0
    confidence_sum: float = 0.0
    known_share_sum: float = 0.0
    known_share_count: int = 0
    class_mix: dict[str, int] = field(default_factory=dict)
    # one count per group of confidence columns asked for
    confidence: list[int] = field(default_factory=list)
    latency_histogram: list[int] = field(default_factory=lambda: [0] * len(LATENCY_COLUMNS))
    # (predicted label, true label) -> feedback rows
    feedback: dict[tuple[str, str], int] = field(default_factory=dict)


def bucket_expression(
    dialect: str, period: StatisticsPeriod, column: ColumnElement[datetime]
) -> ColumnElement[str]:
    """The start of the time's bucket, as text 'YYYY-MM-DD HH:MM:SS' (UTC): the one
    dialect-specific piece. SQLite keeps times as text in UTC ('YYYY-MM-DD HH:MM:SS.ffffff'),
    PostgreSQL as timestamptz. Weeks start on Monday on both."""
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

    def segments(self, model_ids: Sequence[str], *, start: datetime, end: datetime) -> list[str]:
        """The segments with predictions of the models in [start, end) (whole hours, as
        `buckets` counts them), sorted."""
        c = _SUMMARY.c
        query = (
            select(c.segment)
            .where(c.model_id.in_(model_ids), c.hour >= start, c.hour < end)
            .distinct()
            .order_by(c.segment)
        )
        with self.engine.connect() as conn:
            return [str(row[0]) for row in conn.execute(query)]

    def buckets(
        self,
        model_ids: Sequence[str],
        *,
        period: StatisticsPeriod,
        start: datetime,
        end: datetime,
        segment: str | None,
        confidence_groups: Sequence[Sequence[str]],
        latency: bool = True,
        by_segment: bool = False,
    ) -> list[BucketFigures]:
        """The figures of each bucket with predictions in [start, end), oldest first (by
        segment too: one per bucket and segment, without the feedback's figures). The
        summary's grain is the hour: [start, end) counts the hours that start in it.

        Only what is asked is summed (the cost is one SUM per column read): each group of
        confidence columns as one count, the latency histogram when `latency`."""
        c = _SUMMARY.c
        dialect = self.engine.dialect.name
        bucket = bucket_expression(dialect, period, c.hour).label("bucket")
        where = [c.model_id.in_(model_ids), c.hour >= start, c.hour < end]
        if segment is not None:
            where.append(c.segment == segment)
        sums: list[ColumnElement[Any]] = [
            func.sum(c[name])
            for name in ("count", "confidence_sum", "known_share_sum", "known_share_count")
        ]
        sums += [
            func.sum(reduce(operator.add, (c[n] for n in group))) if group else literal(0)
            for group in confidence_groups
        ]
        sums += [func.sum(c[name]) for name in LATENCY_COLUMNS] if latency else []
        segment_column = c.segment if by_segment else literal_column("NULL")
        by_label = (
            select(bucket, segment_column, c.label, *sums)
            .where(*where)
            .group_by(literal_column("bucket"), *([c.segment] if by_segment else []), c.label)
        )
        groups = len(confidence_groups)
        figures: dict[tuple[str, str], BucketFigures] = {}
        with self.engine.connect() as conn:
            for row in conn.execute(by_label):
                values: tuple[Any, ...] = tuple(row)
                key, seg, label, count, confidence, known, known_count, *histograms = values
                f = figures.setdefault(
                    (key, seg or ""), BucketFigures(_parse(key), seg, confidence=[0] * groups)
                )
                f.count += count
                f.confidence_sum += confidence
                f.known_share_sum += known
                f.known_share_count += known_count
                f.class_mix[label] = count
                for i, n in enumerate(histograms[:groups]):
                    f.confidence[i] += n
                for i, n in enumerate(histograms[groups:]):
                    f.latency_histogram[i] += n
            query = self._feedback_query(model_ids, period, start, end, segment)
            for row in [] if by_segment else conn.execute(query):
                values = tuple(row)
                key, predicted, true, count = values
                f = figures.setdefault(
                    (key, ""), BucketFigures(_parse(key), confidence=[0] * groups)
                )
                f.feedback[(predicted, true)] = count
        return [figures[key] for key in sorted(figures)]

    def _feedback_query(
        self,
        model_ids: Sequence[str],
        period: StatisticsPeriod,
        start: datetime,
        end: datetime,
        segment: str | None,
    ) -> Select[Any]:
        """(bucket, predicted label, true label, rows) of the feedback on the predictions
        logged in [start, end): the feedback drives the join (by its model id), each row
        finds its prediction by primary key. A prediction corrected more than once counts
        once, with its newest label (a newer row for it: found by its prediction id)."""
        p, fb = _LOG.c, _FEEDBACK.c
        later = _FEEDBACK.alias("later").c
        newer = (
            select(later.id)
            .where(
                later.prediction_id == fb.prediction_id,
                or_(
                    later.created_at > fb.created_at,
                    and_(later.created_at == fb.created_at, later.id > fb.id),
                ),
            )
            .exists()
        )
        bucket = bucket_expression(self.engine.dialect.name, period, p.created_at).label("bucket")
        given = select(fb.prediction_id).where(fb.model_id.in_(model_ids))
        where = [
            # the feedback's predictions by primary key, not the log's rows in the range
            p.id.in_(given.scalar_subquery()),
            fb.model_id.in_(model_ids),
            ~newer,
            p.created_at >= start,
            p.created_at < end,
        ]
        if segment is not None:
            where.append(p.segment == segment)
        return (
            select(bucket, p.label, fb.label, func.count())
            .select_from(_FEEDBACK.join(_LOG, _LOG.c.id == fb.prediction_id))
            .where(*where)
            .group_by(literal_column("bucket"), p.label, fb.label)
        )


def _parse(key: str) -> datetime:
    return datetime.fromisoformat(key)
