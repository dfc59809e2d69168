"""The prediction log's rows, in the registry's database: written in batches (one
executemany per batch, SQLAlchemy's `insert` with a list of rows), deleted by age."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, Table, delete, func, insert, select

from app.registry.tables import ModelRow, PredictionRow

_TABLE: Table = PredictionRow.__table__  # type: ignore[assignment]  # a Table at run time
_MODELS: Table = ModelRow.__table__  # type: ignore[assignment]
# texts looked up in one statement (SQLite's bound parameters are limited)
TEXTS_PER_QUERY = 500
# a row as `insert` takes it: a tuple of these, in this order
COLUMNS = (
    "id",
    "model_id",
    "model_version",
    "reference",
    "segment",
    "created_at",
    "label",
    "confidence",
    "probabilities",
    "latency_ms",
    "text",
)


@dataclass(frozen=True)
class LoggedPrediction:
    """What feedback needs of a logged prediction."""

    id: str
    model_id: str
    segment: str
    text: str | None


class SqlPredictionLog:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def insert(self, rows: Sequence[tuple[Any, ...]]) -> None:
        """Write the rows (tuples in COLUMNS order) in one transaction, one statement
        executed for all of them."""
        if not rows:
            return
        params = [dict(zip(COLUMNS, row, strict=True)) for row in rows]
        with self.engine.begin() as conn:
            conn.execute(insert(_TABLE), params)

    def delete_before(self, cutoff: datetime) -> int:
        """Delete the predictions logged before `cutoff`; how many there were."""
        with self.engine.begin() as conn:
            result = conn.execute(delete(_TABLE).where(_TABLE.c.created_at < cutoff))
            return result.rowcount or 0

    def get(self, prediction_id: str) -> LoggedPrediction | None:
        columns = (_TABLE.c.id, _TABLE.c.model_id, _TABLE.c.segment, _TABLE.c.text)
        with self.engine.connect() as conn:
            row = conn.execute(select(*columns).where(_TABLE.c.id == prediction_id)).first()
        return LoggedPrediction(*row) if row is not None else None

    def newest_by_text(self, model_name: str, texts: Sequence[str]) -> dict[str, str]:
        """For each of the texts that a version of `model_name` was asked about, the id of
        its newest logged prediction (texts never predicted, or logged without their text,
        are not in the answer). Found in SQL, a window over the matching rows only."""
        found: dict[str, str] = {}
        unique = list(dict.fromkeys(texts))
        for start in range(0, len(unique), TEXTS_PER_QUERY):
            part = unique[start : start + TEXTS_PER_QUERY]
            newest = (
                select(
                    _TABLE.c.text,
                    _TABLE.c.id,
                    func.row_number()
                    .over(
                        partition_by=_TABLE.c.text,
                        order_by=(_TABLE.c.created_at.desc(), _TABLE.c.id.desc()),
                    )
                    .label("rank"),
                )
                .join(_MODELS, _MODELS.c.id == _TABLE.c.model_id)
                .where(_MODELS.c.name == model_name, _TABLE.c.text.in_(part))
                .subquery()
            )
            query = select(newest.c.text, newest.c.id).where(newest.c.rank == 1)
            with self.engine.connect() as conn:
                found.update({text: pid for text, pid in conn.execute(query)})
        return found
