"""Held-out metrics of a multi-label model: each label on its own, and their means (the mean
column-wise ROC AUC is the Jigsaw toxic-comment measure)."""

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from sklearn import metrics as skm

from app.ml.metrics import MAX_CURVE_POINTS, roc_points
from app.ml.multilabel import cuts_for


def per_label(
    truth: np.ndarray,
    proba: np.ndarray,
    names: Sequence[str],
    cuts: Mapping[str, float] | None = None,
    row_cuts: np.ndarray | None = None,
) -> list[dict[str, Any]]:
    """Per label: precision, recall, F1 at its decision threshold (`cuts`, {label: cut};
    DEFAULT_THRESHOLD for a label not in it; or each row's and label's cut, `row_cuts`,
    shaped as `proba`: cross-fitted figures), support (rows where it applies), ROC AUC and
    curve (None/empty when the rows hold only one value of it)."""
    truth = np.asarray(truth, dtype=int)
    predicted = (proba >= _cuts(names, cuts, row_cuts)).astype(int)
    out = []
    for i, name in enumerate(names):
        precision, recall, f1, _ = skm.precision_recall_fscore_support(
            truth[:, i], predicted[:, i], average="binary", pos_label=1, zero_division=0
        )
        fpr, tpr, auc = roc_points(truth[:, i].tolist(), proba[:, i], 1, MAX_CURVE_POINTS)
        out.append(
            {
                "label": name,
                "precision": float(precision),
                "recall": float(recall),
                "f1": float(f1),
                "support": int(truth[:, i].sum()),
                "roc_auc": auc,
                "fpr": fpr,
                "tpr": tpr,
            }
        )
    return out


def _cuts(
    names: Sequence[str], cuts: Mapping[str, float] | None, row_cuts: np.ndarray | None
) -> np.ndarray:
    """What the probabilities are compared with: each label's cut, or each row's."""
    return cuts_for(names, cuts) if row_cuts is None else np.asarray(row_cuts, dtype=float)


def mean_roc_auc(labels: list[dict[str, Any]]) -> float | None:
    """The mean of the labels' ROC AUCs, over the labels that have one."""
    aucs = [row["roc_auc"] for row in labels if row["roc_auc"] is not None]
    return float(np.mean(aucs)) if aucs else None


def evaluate_multilabel(
    truth: np.ndarray,
    proba: np.ndarray,
    names: Sequence[str],
    cuts: Mapping[str, float] | None = None,
    row_cuts: np.ndarray | None = None,
) -> dict[str, Any]:
    """The fields of `Metrics` for a multi-label model: accuracy is exact-match (every label
    right), precision, recall and F1 the means over labels, roc_auc the mean column-wise
    ROC AUC; each label's figures and ROC curve are in `per_class`. Labels are decided at
    their thresholds (`cuts`; DEFAULT_THRESHOLD where none), which `decision_thresholds`
    records; or, for cross-fitted figures, at each row's and label's cut (`row_cuts`)."""
    truth = np.asarray(truth, dtype=int)
    labels = per_label(truth, proba, names, cuts, row_cuts)
    row = cuts_for(names, cuts)
    predicted = (proba >= _cuts(names, cuts, row_cuts)).astype(int)
    return {
        "accuracy": float((predicted == truth).all(axis=1).mean()) if len(truth) else 0.0,
        "precision": float(np.mean([row["precision"] for row in labels])),
        "recall": float(np.mean([row["recall"] for row in labels])),
        "f1": float(np.mean([row["f1"] for row in labels])),
        "confusion_matrix": [],
        "n_test": len(truth),
        "roc_auc": mean_roc_auc(labels),
        "roc_curve": None,
        "positive_label": None,
        "per_class": labels,
        "decision_thresholds": {str(n): float(c) for n, c in zip(names, row, strict=True)},
    }
