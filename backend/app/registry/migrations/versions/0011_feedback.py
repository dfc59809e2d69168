"""Feedback: true labels for logged predictions or for texts from a CSV, by model name.

Revision ID: 0011_feedback
Revises: 0010_prediction_figures
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011_feedback"
down_revision: str | None = "0010_prediction_figures"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "feedback",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("model_name", sa.String(100), nullable=False),
        sa.Column("model_id", sa.String(64), nullable=False),
        sa.Column("prediction_id", sa.String(32), nullable=True),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("label", sa.Text(), nullable=False),
        sa.Column("segment", sa.String(100), nullable=False),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_feedback_name_time", "feedback", ["model_name", "created_at"])
    op.create_index("ix_feedback_prediction_id", "feedback", ["prediction_id"])


def downgrade() -> None:
    op.drop_index("ix_feedback_prediction_id", "feedback")
    op.drop_index("ix_feedback_name_time", "feedback")
    op.drop_table("feedback")
