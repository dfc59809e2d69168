"""Two versions compared on the same labelled texts: accuracy, macro-F1 and (binary) ROC
AUC. Each version's labels are decided as its predictions are (a binary version at its
threshold) and compared as text, so a label one model never learned (feedback that added
a class) counts as a miss rather than an error."""

from collections.abc import Sequence
from typing import Any

import numpy as np
from sklearn import metrics as skm

from app.ml.labels import Label
from app.ml.metrics import decided


def scores(
    truth: Sequence[object],
    proba: np.ndarray,
    classes: Sequence[Label],
    cut: float | None = None,
) -> dict[str, Any]:
    """`n`, `accuracy`, `macro_f1` and `roc_auc` (binary models, when the truths hold
    both of its classes and nothing else; otherwise None) of the answers `proba`, decided
    as the version's predictions are: a binary version at its positive class's threshold
    `cut` when it has one, else the most probable class."""
    true = [str(t) for t in truth]
    names = [str(c) for c in classes]
    predicted = [names[i] for i in decided(proba, cut)]
    labels = sorted(set(true) | set(predicted))
    out: dict[str, Any] = {
        "n": len(true),
        "accuracy": float(np.mean([t == p for t, p in zip(true, predicted, strict=True)])),
        "macro_f1": float(
            skm.f1_score(true, predicted, labels=labels, average="macro", zero_division=0)
        ),
        "roc_auc": None,
    }
    if len(names) == 2 and set(true) == set(names):
        positive = np.array([t == names[1] for t in true])
        out["roc_auc"] = float(skm.roc_auc_score(positive, proba[:, 1]))
    return out


def is_better(new: dict[str, Any], old: dict[str, Any]) -> bool:
    """The rule for moving an alias: a higher macro-F1; on a tie, a higher ROC AUC (when
    both have one)."""
    if new["macro_f1"] != old["macro_f1"]:
        return bool(new["macro_f1"] > old["macro_f1"])
    return (
        new["roc_auc"] is not None
        and old["roc_auc"] is not None
        and new["roc_auc"] > old["roc_auc"]
    )
