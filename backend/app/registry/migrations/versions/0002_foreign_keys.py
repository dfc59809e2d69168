"""Foreign keys between models, datasets and tasks, all ON DELETE SET NULL.

That keeps what the services did when ids could dangle: deleting a dataset keeps the
models trained on it, removing a model keeps its task in the history; the reference
now reads null instead of naming a row that is gone. References that already dangle
in an old registry are set to null first, so the keys hold for every row.

Revision ID: 0002_foreign_keys
Revises: 0001_initial
Create Date: 2026-12-02
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0002_foreign_keys"
down_revision: str | None = "0001_initial"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# (table, column, referred table, constraint name)
_KEYS = [
    ("models", "dataset_id", "datasets", "fk_models_dataset_id"),
    ("tasks", "model_id", "models", "fk_tasks_model_id"),
    ("tasks", "dataset_id", "datasets", "fk_tasks_dataset_id"),
]


def upgrade() -> None:
    for table, column, referred, _ in _KEYS:
        op.execute(
            f"UPDATE {table} SET {column} = NULL WHERE {column} IS NOT NULL "
            f"AND {column} NOT IN (SELECT id FROM {referred})"
        )
    for table in ("models", "tasks"):
        with op.batch_alter_table(table) as batch:
            for key_table, column, referred, name in _KEYS:
                if key_table == table:
                    batch.create_foreign_key(name, referred, [column], ["id"], ondelete="SET NULL")


def downgrade() -> None:
    for table in ("tasks", "models"):
        with op.batch_alter_table(table) as batch:
            for key_table, _, _, name in _KEYS:
                if key_table == table:
                    batch.drop_constraint(name, type_="foreignkey")
