"""Where a task runs and who follows it: `tasks.worker` names the process that runs it (a
local pool's pid, or a Dask worker's address) and `tasks.replica` the API replica that
queued it and records its end (several replicas share one registry).

Revision ID: 0014_task_placement
Revises: 0013_split_column
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014_task_placement"
down_revision: str | None = "0013_split_column"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("tasks") as batch:
        batch.add_column(sa.Column("worker", sa.String(200), nullable=True))
        batch.add_column(sa.Column("replica", sa.String(200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("tasks") as batch:
        batch.drop_column("replica")
        batch.drop_column("worker")
