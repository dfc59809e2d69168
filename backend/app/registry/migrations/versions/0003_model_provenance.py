"""What a model was trained on, kept with it: its dataset's name and sha256, so it still
says so after the dataset is deleted (its id then reads null; existing models copy them
from their dataset where it still exists), and what preprocessing removed (rows without a
label, empty and duplicate texts; null for older models). A task keeps its model's name
and version the same way, so the history names a removed model. And the display names of
its label values, set at fit.

Revision ID: 0003_model_provenance
Revises: 0002_foreign_keys
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003_model_provenance"
down_revision: str | None = "0002_foreign_keys"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("models") as batch:
        batch.add_column(sa.Column("dataset_name", sa.String(200), nullable=True))
        batch.add_column(sa.Column("dataset_sha256", sa.String(64), nullable=True))
        batch.add_column(sa.Column("preprocessing_report", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("label_names", sa.JSON(), nullable=True))
    with op.batch_alter_table("tasks") as batch:
        batch.add_column(sa.Column("model_name", sa.String(100), nullable=True))
        batch.add_column(sa.Column("model_version", sa.Integer(), nullable=True))
    for column in ("name", "version"):
        op.execute(
            f"UPDATE tasks SET model_{column} = "
            f"(SELECT models.{column} FROM models WHERE models.id = tasks.model_id) "
            "WHERE model_id IS NOT NULL"
        )
    for column in ("name", "sha256"):
        op.execute(
            f"UPDATE models SET dataset_{column} = "
            f"(SELECT datasets.{column} FROM datasets WHERE datasets.id = models.dataset_id) "
            "WHERE dataset_id IS NOT NULL"
        )


def downgrade() -> None:
    with op.batch_alter_table("tasks") as batch:
        batch.drop_column("model_version")
        batch.drop_column("model_name")
    with op.batch_alter_table("models") as batch:
        batch.drop_column("label_names")
        batch.drop_column("preprocessing_report")
        batch.drop_column("dataset_sha256")
        batch.drop_column("dataset_name")
