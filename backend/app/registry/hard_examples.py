"""Candidates for hard examples, read from the prediction log in SQL: a model name's
logged predictions with a text and no feedback (none for the prediction, none for the
same text under the name), in a segment and a time range, the `scan` newest of them,
then one row per text (its newest prediction) by a window function. Only those rows come
back to Python, where their probabilities are scored."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Engine, Table, func, select

from app.registry.tables import FeedbackRow, ModelRow, PredictionRow

_LOG: Table = PredictionRow.__table__  # type: ignore[assignment]  # a Table at run time
_FEEDBACK: Table = FeedbackRow.__table__  # type: ignore[assignment]


@dataclass(frozen=True)
class LoggedCandidate:
    id: str
    model_id: str
    segment: str
    created_at: datetime
    label: str
    confidence: float
    probabilities: dict[str, Any]
    text: str


class SqlHardExamples:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def model_ids_of_name(self, name: str) -> list[str]:
        with self.engine.connect() as conn:
            query = select(ModelRow.id).where(ModelRow.name == name).order_by(ModelRow.version)
            return list(conn.scalars(query))

    def candidates(
        self,
        name: str,
        model_ids: Sequence[str],
        *,
        segment: str | None,
        start: datetime | None,
        end: datetime | None,
        scan: int,
    ) -> list[LoggedCandidate]:
        """Newest first: of the `scan` newest logged predictions of `model_ids` that have
        a text and no feedback under `name`, the newest of each text."""
        c = _LOG.c
        fb = _FEEDBACK.c
        given_for = select(fb.prediction_id).where(
            fb.model_name == name, fb.prediction_id.is_not(None)
        )
        given_texts = select(fb.text).where(fb.model_name == name, fb.text.is_not(None))
        where: list[ColumnElement[bool]] = [
            c.model_id.in_(model_ids),
            c.text.is_not(None),
            c.id.not_in(given_for),
            c.text.not_in(given_texts),
        ]
        if segment is not None:
            where.append(c.segment == segment)
        if start is not None:
            where.append(c.created_at >= start)
        if end is not None:
            where.append(c.created_at < end)
        fields = [c[f] for f in LoggedCandidate.__dataclass_fields__]
        recent = (
            select(*fields)
            .where(*where)
            .order_by(c.created_at.desc(), c.id.desc())
            .limit(scan)
            .subquery()
        )
        r = recent.c
        newest = (
            func.row_number()
            .over(partition_by=r.text, order_by=(r.created_at.desc(), r.id.desc()))
            .label("newest")
        )
        ranked = select(recent, newest).subquery()
        names = list(LoggedCandidate.__dataclass_fields__)
        query = (
            select(*[ranked.c[f] for f in names])
            .where(ranked.c.newest == 1)
            .order_by(ranked.c.created_at.desc(), ranked.c.id.desc())
        )
        with self.engine.connect() as conn:
            return [LoggedCandidate(**row._mapping) for row in conn.execute(query)]

    def feedback_texts(self, name: str) -> set[str]:
        """The texts that have feedback under `name`."""
        query = select(_FEEDBACK.c.text).where(
            _FEEDBACK.c.model_name == name, _FEEDBACK.c.text.is_not(None)
        )
        with self.engine.connect() as conn:
            return set(conn.scalars(query).all())
