"""The prediction log's rows, in the registry's database: written in batches (one
executemany per batch), deleted by age.

The insert goes to the driver directly (`exec_driver_sql`): statement compiled once for
the engine's dialect, each column's bind processing (JSON, timestamps) taken from the
dialect once. Through `conn.execute(insert(table), dicts)` SQLAlchemy spent about two
thirds of the writer's time per row, and the writer shares the GIL with the event loop
that answers /predict.
"""

from collections.abc import Callable, Sequence
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
        compiled = insert(_TABLE).compile(dialect=engine.dialect, column_keys=list(COLUMNS))
        self._sql = str(compiled)
        self._positional = compiled.positional
        order = compiled.positiontup if compiled.positional else None
        self._order = [COLUMNS.index(name) for name in order] if order else None
        processors: list[tuple[int, Callable[[Any], Any]]] = []
        for i, name in enumerate(COLUMNS):
            processor = (
                _TABLE.c[name].type.dialect_impl(engine.dialect).bind_processor(engine.dialect)
            )
            if processor is not None:
                processors.append((i, processor))
        self._processors = processors

    def insert(self, rows: Sequence[tuple[Any, ...]]) -> None:
        """Write the rows (tuples in COLUMNS order) in one transaction, one statement
        executed for all of them."""
        if not rows:
            return
        params: list[Any] = []
        # the rows of one request share their time: processed once, not per row
        last: dict[int, tuple[Any, Any]] = {}
        for row in rows:
            values = list(row)
            for i, processor in self._processors:
                value = values[i]
                seen = last.get(i)
                if seen is not None and seen[0] is value:
                    values[i] = seen[1]
                else:
                    values[i] = processor(value)
                    last[i] = (value, values[i])
            if self._order is not None:
                params.append(tuple(values[i] for i in self._order))
            elif self._positional:
                params.append(tuple(values))
            else:
                params.append(dict(zip(COLUMNS, values, strict=True)))
        with self.engine.begin() as conn:
            conn.exec_driver_sql(self._sql, params)

    def delete_before(self, cutoff: datetime) -> int:
        """Delete the predictions logged before `cutoff`; how many there were."""
        with self.engine.begin() as conn:
            result = conn.execute(delete(_TABLE).where(_TABLE.c.created_at < cutoff))
            return result.rowcount or 0
