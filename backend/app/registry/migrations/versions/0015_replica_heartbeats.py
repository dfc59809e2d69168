"""The API replicas' heartbeats: `replicas` holds, per replica name, when it started and
when it last beat, so that the tasks of a replica that stopped beating are ended by
another (a replica's name changes with its container, so its own start-up may never come).

Revision ID: 0015_replica_heartbeats
Revises: 0014_task_placement
Create Date: 2026-12-05
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015_replica_heartbeats"
down_revision: str | None = "0014_task_placement"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "replicas",
        sa.Column("name", sa.String(200), primary_key=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("replicas")
