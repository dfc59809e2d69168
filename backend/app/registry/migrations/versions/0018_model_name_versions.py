"""`model_names` and `retriever_names`: the last version number each model name and each
retriever name has given, so that a number is never given twice. A name's next version
was its highest stored version + 1: after the highest were removed, a new version took a
number the alias history, the tasks and the prediction log already used for another model
(`name:3` then named two models; the Tasks page listed two "race v3" retrievers). Filled
from every place a version number is kept.

Revision ID: 0018_model_name_versions
Revises: 0017_keep_negations
Create Date: 2026-12-05
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0018_model_name_versions"
down_revision: str | None = "0017_keep_negations"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _used(conn: sa.Connection) -> dict[str, int]:
    """Per name, the highest version number any table keeps."""
    models = sa.table("models", sa.column("name", sa.String), sa.column("version", sa.Integer))
    tasks = sa.table(
        "tasks",
        sa.column("kind", sa.String),
        sa.column("model_name", sa.String),
        sa.column("model_version", sa.Integer),
    )
    history = sa.table(
        "model_alias_history",
        sa.column("name", sa.String),
        sa.column("from_version", sa.Integer),
        sa.column("to_version", sa.Integer),
    )
    queries = [
        sa.select(models.c.name, sa.func.max(models.c.version)).group_by(models.c.name),
        sa.select(tasks.c.model_name, sa.func.max(tasks.c.model_version))
        .where(tasks.c.model_name.is_not(None), tasks.c.kind != "retriever_fit")
        .group_by(tasks.c.model_name),
        sa.select(history.c.name, sa.func.max(history.c.from_version)).group_by(history.c.name),
        sa.select(history.c.name, sa.func.max(history.c.to_version)).group_by(history.c.name),
    ]
    return _highest(conn, queries)


def _retrievers_used(conn: sa.Connection) -> dict[str, int]:
    """Per retriever name, the highest version number its table or the tasks keep."""
    retrievers = sa.table(
        "retrievers", sa.column("name", sa.String), sa.column("version", sa.Integer)
    )
    tasks = sa.table(
        "tasks",
        sa.column("kind", sa.String),
        sa.column("model_name", sa.String),
        sa.column("model_version", sa.Integer),
    )
    queries = [
        sa.select(retrievers.c.name, sa.func.max(retrievers.c.version)).group_by(retrievers.c.name),
        sa.select(tasks.c.model_name, sa.func.max(tasks.c.model_version))
        .where(tasks.c.kind == "retriever_fit", tasks.c.model_name.is_not(None))
        .group_by(tasks.c.model_name),
    ]
    return _highest(conn, queries)


def _highest(conn: sa.Connection, queries: list[sa.Select[Any]]) -> dict[str, int]:
    """Per name, the highest of the (name, version) rows the queries give."""
    used: dict[str, int] = {}
    for query in queries:
        for name, version in conn.execute(query).all():
            if name is not None and version is not None:
                used[name] = max(used.get(name, 0), int(version))
    return used


def _counter(table_name: str, used: dict[str, int]) -> None:
    table = op.create_table(
        table_name,
        sa.Column("name", sa.String(100), primary_key=True),
        sa.Column("last_version", sa.Integer(), nullable=False),
    )
    rows = [{"name": n, "last_version": v} for n, v in sorted(used.items())]
    if rows:
        op.bulk_insert(table, rows)


def upgrade() -> None:
    conn = op.get_bind()
    _counter("model_names", _used(conn))
    _counter("retriever_names", _retrievers_used(conn))


def downgrade() -> None:
    op.drop_table("retriever_names")
    op.drop_table("model_names")
