"""Feedback rows in the registry's database: written in one statement per call, read by
model name (newest first), deleted one by one."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, Table, delete, func, insert, select

from app.registry.tables import FeedbackRow

_TABLE: Table = FeedbackRow.__table__  # type: ignore[assignment]  # a Table at run time


@dataclass(frozen=True)
class FeedbackEntry:
    id: str
    model_name: str
    model_id: str
    prediction_id: str | None
    text: str | None
    label: str
    segment: str
    source: str  # "prediction", "text" or "csv"
    created_at: datetime


class SqlFeedback:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def insert(self, entries: Sequence[FeedbackEntry]) -> None:
        """Write the entries in one transaction, one statement executed for all."""
        if not entries:
            return
        with self.engine.begin() as conn:
            conn.execute(insert(_TABLE), [vars(entry) for entry in entries])

    def list(self, model_name: str, *, limit: int, offset: int = 0) -> list[FeedbackEntry]:
        """The name's feedback, newest first."""
        query = (
            select(_TABLE)
            .where(_TABLE.c.model_name == model_name)
            .order_by(_TABLE.c.created_at.desc(), _TABLE.c.id)
            .limit(limit)
            .offset(offset)
        )
        with self.engine.connect() as conn:
            return [FeedbackEntry(**row._mapping) for row in conn.execute(query)]

    def newest_labels(self, model_name: str) -> Sequence[tuple[str, str]]:
        """(text, label) for each text the name has feedback on, the newest label winning;
        entries without a text (the log kept none) are left out. Ordered by text."""
        ranked = (
            select(
                _TABLE.c.text,
                _TABLE.c.label,
                func.row_number()
                .over(
                    partition_by=_TABLE.c.text,
                    order_by=(_TABLE.c.created_at.desc(), _TABLE.c.id.desc()),
                )
                .label("rank"),
            )
            .where(_TABLE.c.model_name == model_name, _TABLE.c.text.is_not(None))
            .subquery()
        )
        query = select(ranked.c.text, ranked.c.label).where(ranked.c.rank == 1)
        with self.engine.connect() as conn:
            return sorted((str(text), str(label)) for text, label in conn.execute(query))

    def get(self, feedback_id: str) -> FeedbackEntry | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(_TABLE).where(_TABLE.c.id == feedback_id)).first()
        return FeedbackEntry(**row._mapping) if row is not None else None

    def count(self, model_name: str) -> int:
        query = select(func.count()).select_from(_TABLE).where(_TABLE.c.model_name == model_name)
        with self.engine.connect() as conn:
            return int(conn.execute(query).scalar_one())

    def delete(self, feedback_id: str) -> bool:
        """Delete one entry; whether it was there."""
        with self.engine.begin() as conn:
            return bool(conn.execute(delete(_TABLE).where(_TABLE.c.id == feedback_id)).rowcount)
