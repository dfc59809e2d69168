"""Retrievers (question → best context): one row per version, vectors kept in Qdrant.

Revision ID: 0007_retrievers
Revises: 0003_model_provenance
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007_retrievers"
down_revision: str | None = "0006_thresholds"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TIMESTAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "retrievers",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("is_default", sa.Boolean(), nullable=False),
        sa.Column("loaded", sa.Boolean(), nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("preprocessing", sa.JSON(), nullable=False),
        sa.Column(
            "dataset_id",
            sa.String(64),
            sa.ForeignKey("datasets.id", ondelete="SET NULL", name="fk_retrievers_dataset_id"),
            nullable=True,
        ),
        sa.Column("dataset_name", sa.String(200), nullable=True),
        sa.Column("context_column", sa.String(300), nullable=False),
        sa.Column("question_column", sa.String(300), nullable=False),
        sa.Column("answer_column", sa.String(300), nullable=True),
        sa.Column("contexts", sa.Integer(), nullable=True),
        sa.Column("report", sa.JSON(), nullable=True),
        sa.Column("quality", sa.JSON(), nullable=True),
        sa.Column("train_seconds", sa.Float(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("created_at", _TIMESTAMP, nullable=False),
        sa.UniqueConstraint("name", "version", name="uq_retriever_name_version"),
    )
    op.create_index("ix_retrievers_name", "retrievers", ["name"])
    op.create_index("ix_retrievers_created_at", "retrievers", ["created_at"])


def downgrade() -> None:
    op.drop_index("ix_retrievers_created_at", "retrievers")
    op.drop_index("ix_retrievers_name", "retrievers")
    op.drop_table("retrievers")
