"""The prediction summary: the log summed by (model, segment, hour, predicted label), with
confidence and latency histograms, which the statistics read instead of the log; and the
log's known-token share. The summary is backfilled from the rows already logged, binned
as app/registry/summary_bins.py bins (the edges are written here the same way).

Revision ID: 0012_prediction_summary
Revises: 0011_feedback
Create Date: 2026-12-03
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0012_prediction_summary"
down_revision: str | None = "0011_feedback"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CONFIDENCE_BINS = 100
LATENCY_PER_DECADE = 10
LATENCY_EDGES = [0.01 * 10 ** (i / LATENCY_PER_DECADE) for i in range(LATENCY_PER_DECADE * 7 + 1)]
CONFIDENCE_COLUMNS = [f"conf_{k:03d}" for k in range(CONFIDENCE_BINS + 1)]  # the last: 1.0
LATENCY_COLUMNS = [f"lat_{i:03d}" for i in range(len(LATENCY_EDGES) + 1)]
KEY = ["model_id", "segment", "hour", "label"]


def upgrade() -> None:
    op.add_column("predictions", sa.Column("known_token_share", sa.Float(), nullable=True))
    op.create_table(
        "prediction_summary",
        sa.Column("model_id", sa.String(64), primary_key=True),
        sa.Column("segment", sa.String(100), primary_key=True),
        sa.Column("hour", sa.DateTime(timezone=True), primary_key=True),
        sa.Column("label", sa.Text(), primary_key=True),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("confidence_sum", sa.Float(), nullable=False),
        sa.Column("known_share_sum", sa.Float(), nullable=False),
        sa.Column("known_share_count", sa.Integer(), nullable=False),
        *(sa.Column(name, sa.Integer(), nullable=False) for name in CONFIDENCE_COLUMNS),
        *(sa.Column(name, sa.Integer(), nullable=False) for name in LATENCY_COLUMNS),
    )
    op.create_index("ix_prediction_summary_hour", "prediction_summary", ["hour"])
    backfill()


def backfill() -> None:
    """One INSERT ... SELECT ... GROUP BY over the log, every bin a SUM(CASE ...) with the
    edges as bound parameters (the same floats the writer compares with)."""
    bind = op.get_bind()
    p = sa.table(
        "predictions",
        *(
            sa.column(name)
            for name in ("model_id", "segment", "created_at", "label", "confidence", "latency_ms")
        ),
        sa.column("known_token_share", sa.Float()),
    )
    if bind.dialect.name == "postgresql":
        utc = sa.func.timezone("UTC", p.c.created_at)
        hour: sa.ColumnElement[Any] = sa.func.timezone("UTC", sa.func.date_trunc("hour", utc))
    else:  # SQLite keeps UTC times as 'YYYY-MM-DD HH:MM:SS.ffffff'
        hour = sa.func.substr(p.c.created_at, 1, 13).concat(":00:00.000000")

    def count_if(condition: sa.ColumnElement[bool]) -> sa.ColumnElement[object]:
        return sa.func.coalesce(sa.func.sum(sa.case((condition, 1), else_=0)), 0)

    confidence, latency = p.c.confidence, p.c.latency_ms
    confidence_bins = [count_if(confidence < sa.literal(1 / CONFIDENCE_BINS))]
    confidence_bins += [
        count_if(
            sa.and_(
                confidence >= sa.literal(k / CONFIDENCE_BINS),
                confidence < sa.literal((k + 1) / CONFIDENCE_BINS),
            )
        )
        for k in range(1, CONFIDENCE_BINS)
    ]
    confidence_bins.append(count_if(confidence >= sa.literal(1.0)))
    edges = LATENCY_EDGES
    latency_bins = [count_if(latency < sa.literal(edges[0]))]
    latency_bins += [
        count_if(sa.and_(latency >= sa.literal(edges[i - 1]), latency < sa.literal(edges[i])))
        for i in range(1, len(edges))
    ]
    latency_bins.append(count_if(latency >= sa.literal(edges[-1])))
    known = p.c.known_token_share
    select = sa.select(
        p.c.model_id,
        p.c.segment,
        hour.label("hour"),
        p.c.label,
        sa.func.count(),
        sa.func.sum(confidence),
        sa.func.coalesce(sa.func.sum(known), 0.0),
        sa.func.count(known),
        *confidence_bins,
        *latency_bins,
    ).group_by(p.c.model_id, p.c.segment, sa.literal_column("hour"), p.c.label)
    columns = [
        *KEY,
        "count",
        "confidence_sum",
        "known_share_sum",
        "known_share_count",
        *CONFIDENCE_COLUMNS,
        *LATENCY_COLUMNS,
    ]
    summary = sa.table("prediction_summary", *(sa.column(name) for name in columns))
    bind.execute(sa.insert(summary).from_select(columns, select))


def downgrade() -> None:
    op.drop_index("ix_prediction_summary_hour", "prediction_summary")
    op.drop_table("prediction_summary")
    op.drop_column("predictions", "known_token_share")
