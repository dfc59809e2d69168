"""Decision thresholds: a model's thresholds in force (chosen at fit on its held-out split,
or changed later without retraining) and the history of their earlier settings. Null for
older models and for multiclass ones: they decide by the most probable class, as before.

Revision ID: 0006_thresholds
Revises: 0003_model_provenance
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006_thresholds"
down_revision: str | None = "0005_model_lineage"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("models") as batch:
        batch.add_column(sa.Column("thresholds", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("threshold_history", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("models") as batch:
        batch.drop_column("threshold_history")
        batch.drop_column("thresholds")
