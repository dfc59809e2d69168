"""How trainers report progress and what they hand back."""

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from app.ml.bundle import TrainedModel

# fraction of the trainer's own work done (0..1), and a human message
ProgressFn = Callable[[float, str], None]


@dataclass
class FitOutput:
    model: TrainedModel
    # class probabilities of the held-out texts, in `model.classes` order (the evaluation)
    holdout_proba: np.ndarray
    history: dict[str, list[float]] | None = None


def scaled(progress: ProgressFn, start: float, end: float) -> ProgressFn:
    """A progress function whose 0..1 maps onto start..end of the caller's range."""

    def report(fraction: float, message: str) -> None:
        progress(start + (end - start) * min(max(fraction, 0.0), 1.0), message)

    return report
