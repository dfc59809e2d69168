"""How trainers report progress and what they hand back."""

import time
from collections import deque
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


class Pace:
    """How long the rest of a piece of work will take if it goes on at its recent pace:
    the progress made over the last WINDOW_S seconds of reports. A pace since the start
    would let a quick first stage (reading the data, importing TensorFlow) speak for slow
    epochs, and the estimate would start low and keep growing."""

    WINDOW_S = 15.0
    MIN_SPAN_S = 2.0  # a pace measured over less says little
    MIN_FRACTION = 0.02  # nor one measured before any real work

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._reports: deque[tuple[float, float]] = deque()

    def seconds_left(self, fraction: float) -> float | None:
        """Note a report of `fraction` done, and estimate the seconds left (None while the
        reports say too little)."""
        now = self._clock()
        self._reports.append((now, fraction))
        # keep one report at least WINDOW_S old: the window's start
        while len(self._reports) > 2 and now - self._reports[1][0] >= self.WINDOW_S:
            self._reports.popleft()
        since, then = self._reports[0]
        if fraction < self.MIN_FRACTION or now - since < self.MIN_SPAN_S or fraction <= then:
            return None
        return (1.0 - min(fraction, 1.0)) * (now - since) / (fraction - then)
