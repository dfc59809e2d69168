"""Preprocessing configs gain `keep_negations` (true for new fits: the stop-word lists'
negations stay in the text). A model stored before dropped them: its config says so now,
false, so that it predicts (and a retrain of it trains) as it always did.

Revision ID: 0017_keep_negations
Revises: 0016_task_finish_estimate
Create Date: 2026-12-05
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017_keep_negations"
down_revision: str | None = "0016_task_finish_estimate"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_MODELS = sa.table("models", sa.column("id", sa.String), sa.column("preprocessing", sa.JSON))


def upgrade() -> None:
    conn = op.get_bind()
    for model_id, config in conn.execute(sa.select(_MODELS.c.id, _MODELS.c.preprocessing)).all():
        if isinstance(config, dict) and "keep_negations" not in config:
            conn.execute(
                _MODELS.update()
                .where(_MODELS.c.id == model_id)
                .values(preprocessing={**config, "keep_negations": False})
            )


def downgrade() -> None:
    conn = op.get_bind()
    for model_id, config in conn.execute(sa.select(_MODELS.c.id, _MODELS.c.preprocessing)).all():
        if isinstance(config, dict) and "keep_negations" in config:
            kept = {k: v for k, v in config.items() if k != "keep_negations"}
            conn.execute(
                _MODELS.update().where(_MODELS.c.id == model_id).values(preprocessing=kept)
            )
