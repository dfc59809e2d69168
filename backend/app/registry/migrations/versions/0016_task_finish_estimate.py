"""When a running task will finish at its recent pace: `tasks.expected_finish_at`, written
with each progress report (the Tasks page's "about 40 s left").

Revision ID: 0016_task_finish_estimate
Revises: 0015_replica_heartbeats
Create Date: 2026-12-05
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016_task_finish_estimate"
down_revision: str | None = "0015_replica_heartbeats"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("tasks") as batch:
        batch.add_column(sa.Column("expected_finish_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("tasks") as batch:
        batch.drop_column("expected_finish_at")
