"""Labels decided by a model's thresholds instead of its most probable class."""

import numpy as np

from app.ml.bundle import Predictions
from app.ml.labels import Label
from app.ml.thresholds import decide_binary


def decided(
    answers: Predictions, classes: list[Label], cutoffs: dict[str, float] | None
) -> Predictions:
    """`answers` with each label (and its confidence: that label's probability) decided by
    the thresholds; unchanged when there are none or they do not apply."""
    if not cutoffs or not answers.labels or answers.label_sets is not None:
        return answers  # multi-label answers are cut per label already
    proba = np.asarray(answers.probabilities, dtype=float)
    chosen = decide_binary(proba, classes, cutoffs)
    if chosen is None:
        return answers
    return Predictions(
        labels=[classes[i] for i in chosen],
        confidences=proba[np.arange(len(chosen)), chosen].tolist(),
        probabilities=answers.probabilities,
        known_token_share=answers.known_token_share,
    )
