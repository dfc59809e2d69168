"""The prediction log's rows, in the registry's database: written in batches (one
executemany per batch), deleted by age."""

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, Table, delete, insert

from app.registry.tables import PredictionRow

_TABLE: Table = PredictionRow.__table__  # type: ignore[assignment]  # a Table at run time


class SqlPredictionLog:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def insert(self, rows: Sequence[dict[str, Any]]) -> None:
        """Write the rows in one transaction, one statement executed for all of them."""
        if not rows:
            return
        with self.engine.begin() as conn:
            conn.execute(insert(_TABLE), list(rows))

    def delete_before(self, cutoff: datetime) -> int:
        """Delete the predictions logged before `cutoff`; how many there were."""
        with self.engine.begin() as conn:
            result = conn.execute(delete(_TABLE).where(_TABLE.c.created_at < cutoff))
            return result.rowcount or 0
