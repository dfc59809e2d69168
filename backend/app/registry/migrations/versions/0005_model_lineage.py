"""Lineage on every model version: the version it was made from (its id and version, no
foreign key, so it is still named after the parent is removed), how it was made (`fit`,
`retrain`, `incremental`, `feedback`, `import`) and the datasets it was trained on with
their sha256 and rows. Existing models were fits of their own dataset.

Revision ID: 0005_model_lineage
Revises: 0003_model_provenance
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005_model_lineage"
down_revision: str | None = "0004_model_aliases"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("models") as batch:
        batch.add_column(sa.Column("parent_id", sa.String(64), nullable=True))
        batch.add_column(sa.Column("parent_version", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("source", sa.String(16), nullable=False, server_default="fit"))
        batch.add_column(sa.Column("lineage_datasets", sa.JSON(), nullable=True))
        batch.create_index("ix_models_parent_id", ["parent_id"])


def downgrade() -> None:
    with op.batch_alter_table("models") as batch:
        batch.drop_index("ix_models_parent_id")
        batch.drop_column("lineage_datasets")
        batch.drop_column("source")
        batch.drop_column("parent_version")
        batch.drop_column("parent_id")
