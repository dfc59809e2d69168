"""The prediction log: one row per prediction served.

Revision ID: 0009_prediction_log
Revises: 0008_multilabel
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009_prediction_log"
down_revision: str | None = "0008_multilabel"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "predictions",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("model_id", sa.String(64), nullable=False),
        sa.Column("model_version", sa.Integer(), nullable=True),
        sa.Column("reference", sa.String(133), nullable=False),
        sa.Column("segment", sa.String(100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("label", sa.Text(), nullable=False),
        sa.Column("confidence", sa.Float(), nullable=False),
        sa.Column("probabilities", sa.JSON(), nullable=False),
        sa.Column("latency_ms", sa.Float(), nullable=False),
        sa.Column("text", sa.Text(), nullable=True),
    )
    # for the statistics by model and by segment over a time range, and for retention
    op.create_index("ix_predictions_model_time", "predictions", ["model_id", "created_at"])
    op.create_index("ix_predictions_segment_time", "predictions", ["segment", "created_at"])
    op.create_index("ix_predictions_created_at", "predictions", ["created_at"])


def downgrade() -> None:
    op.drop_index("ix_predictions_created_at", "predictions")
    op.drop_index("ix_predictions_segment_time", "predictions")
    op.drop_index("ix_predictions_model_time", "predictions")
    op.drop_table("predictions")
