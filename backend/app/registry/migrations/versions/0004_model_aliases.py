"""Aliases of a model name (`production`, `staging`, ...), each naming one version of it,
and their append-only history (who moved which alias from which version to which, when
and why), which also answers which version an alias named at a given time.

Revision ID: 0004_model_aliases
Revises: 0003_model_provenance
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004_model_aliases"
down_revision: str | None = "0003_model_provenance"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TIMESTAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "model_aliases",
        sa.Column("name", sa.String(100), primary_key=True),
        sa.Column("alias", sa.String(32), primary_key=True),
        sa.Column(
            "model_id",
            sa.String(64),
            sa.ForeignKey("models.id", name="fk_model_aliases_model_id"),
            nullable=False,
        ),
        sa.Column("updated_at", _TIMESTAMP, nullable=False),
    )
    op.create_index("ix_model_aliases_model_id", "model_aliases", ["model_id"])
    op.create_table(
        "model_alias_history",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("alias", sa.String(32), nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("from_version", sa.Integer(), nullable=True),
        sa.Column("to_version", sa.Integer(), nullable=True),
        sa.Column("from_model_id", sa.String(64), nullable=True),
        sa.Column("to_model_id", sa.String(64), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("caller", sa.String(100), nullable=True),
        sa.Column("created_at", _TIMESTAMP, nullable=False),
    )
    op.create_index(
        "ix_model_alias_history_alias", "model_alias_history", ["name", "alias", "created_at"]
    )


def downgrade() -> None:
    op.drop_index("ix_model_alias_history_alias", table_name="model_alias_history")
    op.drop_table("model_alias_history")
    op.drop_index("ix_model_aliases_model_id", table_name="model_aliases")
    op.drop_table("model_aliases")
