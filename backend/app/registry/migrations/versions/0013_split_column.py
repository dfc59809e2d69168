"""A model's split column: the dataset column that gives each row's split (`train` /
`test`) instead of test_size and random_state (a version retrained from feedback).

Revision ID: 0013_split_column
Revises: 0012_prediction_summary
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013_split_column"
down_revision: str | None = "0012_prediction_summary"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("models") as batch:
        batch.add_column(sa.Column("split_column", sa.String(300), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("models") as batch:
        batch.drop_column("split_column")
