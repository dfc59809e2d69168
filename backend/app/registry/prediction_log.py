"""The prediction log's rows, in the registry's database: written in batches (one
executemany per batch, SQLAlchemy's `insert` with a list of rows), deleted by age."""

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, Table, delete, insert

from app.registry.tables import PredictionRow

_TABLE: Table = PredictionRow.__table__  # type: ignore[assignment]  # a Table at run time
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
