"""The prediction log's rows, in the registry's database: written in batches (one
executemany per batch, SQLAlchemy's `insert` with a list of rows), deleted by age.

Each batch also adds to the prediction summary (revision 0012), in the same transaction:
the batch is summed in Python by (model, segment, hour, label), then one upsert statement
(the dialect's documented `insert(...).on_conflict_do_update`, SQLite and PostgreSQL)
executed for those few rows adds them to what the summary holds."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, Table, delete, func, insert, select
from sqlalchemy.dialects import postgresql, sqlite

from app.registry.summary_bins import (
    CONFIDENCE_COLUMNS,
    LATENCY_COLUMNS,
    confidence_bin,
    latency_bin,
)
from app.registry.tables import ModelRow, PredictionRow, PredictionSummaryRow

_TABLE: Table = PredictionRow.__table__  # type: ignore[assignment]  # a Table at run time
_MODELS: Table = ModelRow.__table__  # type: ignore[assignment]
# texts looked up in one statement (SQLite's bound parameters are limited)
TEXTS_PER_QUERY = 500
_SUMMARY: Table = PredictionSummaryRow.__table__
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
    "known_token_share",
)
_MODEL, _SEGMENT, _AT, _LABEL, _CONFIDENCE, _LATENCY, _KNOWN = (
    COLUMNS.index(name)
    for name in (
        "model_id",
        "segment",
        "created_at",
        "label",
        "confidence",
        "latency_ms",
        "known_token_share",
    )
)
KEY = ("model_id", "segment", "hour", "label")
SUMS = ("count", "confidence_sum", "known_share_sum", "known_share_count")
_FIGURES = (*SUMS, *CONFIDENCE_COLUMNS, *LATENCY_COLUMNS)
_FIRST_CONFIDENCE = len(SUMS)
_FIRST_LATENCY = _FIRST_CONFIDENCE + len(CONFIDENCE_COLUMNS)


def summarize(rows: Sequence[tuple[Any, ...]]) -> list[dict[str, Any]]:
    """The rows summed by (model, segment, hour, label): the summary's rows for them."""
    sums: dict[tuple[Any, ...], list[Any]] = {}
    for row in rows:
        at: datetime = row[_AT]
        hour = at.replace(minute=0, second=0, microsecond=0)
        key = (row[_MODEL], row[_SEGMENT], hour, row[_LABEL])
        figures = sums.get(key)
        if figures is None:
            figures = sums[key] = [0, 0.0, 0.0, 0] + [0] * (len(_FIGURES) - len(SUMS))
        confidence = row[_CONFIDENCE]
        figures[0] += 1
        figures[1] += confidence
        known = row[_KNOWN]
        if known is not None:
            figures[2] += known
            figures[3] += 1
        figures[_FIRST_CONFIDENCE + confidence_bin(confidence)] += 1
        figures[_FIRST_LATENCY + latency_bin(row[_LATENCY])] += 1
    return [
        dict(zip(KEY, key, strict=True)) | dict(zip(_FIGURES, figures, strict=True))
        for key, figures in sums.items()
    ]


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
        """Write the rows (tuples in COLUMNS order) and add them to the summary, in one
        transaction: one statement executed for all the rows, one for their sums."""
        if not rows:
            return
        params = [dict(zip(COLUMNS, row, strict=True)) for row in rows]
        with self.engine.begin() as conn:
            conn.execute(insert(_TABLE), params)
            add_to_summary(conn, summarize(rows))

    def delete_before(self, cutoff: datetime) -> int:
        """Delete the predictions logged before the hour of `cutoff` (so that the log and
        its summary keep the same hours), and the summary's hours before it; how many
        predictions there were."""
        hour = cutoff.replace(minute=0, second=0, microsecond=0)
        with self.engine.begin() as conn:
            result = conn.execute(delete(_TABLE).where(_TABLE.c.created_at < hour))
            conn.execute(delete(_SUMMARY).where(_SUMMARY.c.hour < hour))
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


def add_to_summary(conn: Connection, sums: list[dict[str, Any]]) -> None:
    """Upsert: a new (model, segment, hour, label) is inserted, a known one gets the sums
    added to its own."""
    if not sums:
        return
    if conn.dialect.name == "postgresql":
        pg = postgresql.insert(_SUMMARY)
        statement: Any = pg.on_conflict_do_update(
            index_elements=list(KEY),
            set_={name: _SUMMARY.c[name] + pg.excluded[name] for name in _FIGURES},
        )
    else:
        lite = sqlite.insert(_SUMMARY)
        statement = lite.on_conflict_do_update(
            index_elements=list(KEY),
            set_={name: _SUMMARY.c[name] + lite.excluded[name] for name in _FIGURES},
        )
    conn.execute(statement, sums)
