"""Held-out metrics and ROC curves."""

from collections.abc import Sequence
from typing import Any

import numpy as np
from sklearn import metrics as skm

from app.ml.labels import Label

MAX_CURVE_POINTS = 201


def roc_points(
    y_true: Sequence[Label], scores: np.ndarray, positive: Label, max_points: int | None = None
) -> tuple[list[float], list[float], float | None]:
    """fpr, tpr and AUC for a binary problem; empty curves when only one class is present."""
    truth = np.asarray([str(y) == str(positive) for y in y_true])
    if truth.all() or not truth.any():
        return [], [], None
    fpr, tpr, _ = skm.roc_curve(truth, scores)
    auc = float(skm.roc_auc_score(truth, scores))
    if max_points and len(fpr) > max_points:
        keep = np.unique(np.linspace(0, len(fpr) - 1, max_points).round().astype(int))
        fpr, tpr = fpr[keep], tpr[keep]
    return fpr.round(6).tolist(), tpr.round(6).tolist(), auc


def evaluate(
    y_true: Sequence[Label], proba: np.ndarray, classes: Sequence[Label]
) -> dict[str, Any]:
    """Accuracy, precision, recall, F1 (macro when multiclass), ROC AUC (one-vs-rest macro
    when multiclass), the confusion matrix and, for binary problems, the ROC curve."""
    classes = list(classes)
    index = {str(c): i for i, c in enumerate(classes)}
    true_idx = np.asarray([index.get(str(y), -1) for y in y_true])
    pred_idx = proba.argmax(axis=1)
    binary = len(classes) == 2
    average = "binary" if binary else "macro"
    out: dict[str, Any] = {
        "accuracy": float(skm.accuracy_score(true_idx, pred_idx)),
        "precision": float(
            skm.precision_score(true_idx, pred_idx, average=average, pos_label=1, zero_division=0)
        ),
        "recall": float(
            skm.recall_score(true_idx, pred_idx, average=average, pos_label=1, zero_division=0)
        ),
        "f1": float(
            skm.f1_score(true_idx, pred_idx, average=average, pos_label=1, zero_division=0)
        ),
        "confusion_matrix": skm.confusion_matrix(
            true_idx, pred_idx, labels=list(range(len(classes)))
        ).tolist(),
        "n_test": len(true_idx),
        "roc_auc": None,
        "roc_curve": None,
        "positive_label": classes[1] if binary else None,
    }
    if binary:
        fpr, tpr, auc = roc_points(y_true, proba[:, 1], classes[1], MAX_CURVE_POINTS)
        out["roc_auc"] = auc
        out["roc_curve"] = {"fpr": fpr, "tpr": tpr} if fpr else None
    else:
        try:
            out["roc_auc"] = float(
                skm.roc_auc_score(
                    true_idx,
                    proba,
                    multi_class="ovr",
                    average="macro",
                    labels=list(range(len(classes))),
                )
            )
        except ValueError:  # a class absent from the test split
            out["roc_auc"] = None
    return out
