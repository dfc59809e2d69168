"""Candidates for hard examples, read from the prediction log in SQL: a model name's
logged predictions with a text and no feedback (none for the prediction, none for the
same text under the name), in a segment and a time range, the `scan` newest of them,
then one row per text (its newest prediction) by a window function. Only their ids, model
ids and probabilities come back to Python, where they are scored; then the page's rows
whole."""

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
    ) -> list[tuple[str, str, dict[str, Any]]]:
        """(id, model id, probabilities), newest first: of the `scan` newest logged
        predictions of `model_ids` that have a text and no feedback under `name`, the newest
        of each text. Only what the scores need (the model id: whose threshold moves them);
        `rows` reads the page's rows whole."""
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
        # the window sorts only ids, texts and times; the probabilities join in after
        recent = (
            select(c.id, c.text, c.created_at)
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
        kept = select(r.id, newest).subquery()
        query = (
            select(c.id, c.model_id, c.probabilities)
            .join(kept, kept.c.id == c.id)
            .where(kept.c.newest == 1)
            .order_by(c.created_at.desc(), c.id.desc())
        )
        with self.engine.connect() as conn:
            return [(row.id, row.model_id, row.probabilities) for row in conn.execute(query)]

    def rows(self, ids: Sequence[str]) -> dict[str, LoggedCandidate]:
        """The logged predictions with these ids, whole, by id."""
        fields = [_LOG.c[f] for f in LoggedCandidate.__dataclass_fields__]
        query = select(*fields).where(_LOG.c.id.in_(ids))
        with self.engine.connect() as conn:
            found = [LoggedCandidate(**row._mapping) for row in conn.execute(query)]
        return {row.id: row for row in found}

    def feedback_texts(self, name: str) -> set[str]:
        """The texts that have feedback under `name`."""
        query = select(_FEEDBACK.c.text).where(
            _FEEDBACK.c.model_name == name, _FEEDBACK.c.text.is_not(None)
        )
        with self.engine.connect() as conn:
            return set(conn.scalars(query).all())
