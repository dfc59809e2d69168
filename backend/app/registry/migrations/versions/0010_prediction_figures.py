"""The prediction log's statistics read only the index: (model_id, created_at) widened
with the columns they aggregate (segment, label, confidence, latency_ms), so a query over
a model and a time range never visits the table. It replaces ix_predictions_model_time,
its prefix. Measured by bench/bench_statistics.py (docs/performance.md).

Revision ID: 0010_prediction_figures
Revises: 0009_prediction_log
Create Date: 2026-12-03
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0010_prediction_figures"
down_revision: str | None = "0009_prediction_log"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = ["model_id", "created_at", "segment", "label", "confidence", "latency_ms"]


def upgrade() -> None:
    op.create_index("ix_predictions_model_time_figures", "predictions", COLUMNS)
    op.drop_index("ix_predictions_model_time", "predictions")


def downgrade() -> None:
    op.create_index("ix_predictions_model_time", "predictions", ["model_id", "created_at"])
    op.drop_index("ix_predictions_model_time_figures", "predictions")
