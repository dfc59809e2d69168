"""What one progress report writes into its task: the fraction done, the message, and when
the task will finish if it goes on at its recent pace (`ml.progress.Pace`; None while the
reports say too little)."""

from datetime import timedelta
from typing import Any

from app.registry.tables import utcnow


def progress_fields(fraction: float, message: str, seconds_left: float | None) -> dict[str, Any]:
    return {
        "progress": round(min(max(fraction, 0.0), 1.0), 4),
        "message": message,
        "expected_finish_at": (
            None if seconds_left is None else utcnow() + timedelta(seconds=seconds_left)
        ),
    }
