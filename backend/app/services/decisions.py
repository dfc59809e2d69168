"""Labels decided by a model's thresholds instead of its most probable class (binary), or
instead of a cut at 0.5 for every label (multi-label)."""

import numpy as np

from app.ml.bundle import Predictions
from app.ml.labels import Label
from app.ml.multilabel import JOINER, confidence, cuts_for
from app.ml.thresholds import decide_binary


def decided(
    answers: Predictions, classes: list[Label], cutoffs: dict[str, float] | None
) -> Predictions:
    """`answers` with each label (and its confidence: that label's probability) decided by
    the thresholds; unchanged when there are none or they do not apply. A multi-label
    answer gets the labels whose probability reaches their own threshold."""
    if not cutoffs or not answers.labels:
        return answers
    if answers.label_sets is not None:
        return _multilabel(answers, classes, cutoffs)
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


def _multilabel(
    answers: Predictions, classes: list[Label], cutoffs: dict[str, float]
) -> Predictions:
    # the probabilities as the answer shows them (rounded): what a reader checks against
    proba = np.asarray(answers.probabilities, dtype=float)
    cuts = cuts_for([str(c) for c in classes], cutoffs)
    over = proba >= cuts
    sets: list[list[Label]] = [[c for c, o in zip(classes, row, strict=True) if o] for row in over]
    return Predictions(
        labels=[JOINER.join(str(x) for x in s) for s in sets],
        confidences=[confidence(row, cuts) for row in proba],
        probabilities=answers.probabilities,
        known_token_share=answers.known_token_share,
        label_sets=sets,
    )
