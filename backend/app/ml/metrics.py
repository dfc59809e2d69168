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


def class_indices(y_true: Sequence[Label], classes: Sequence[Label]) -> np.ndarray:
    """Each true label's position in `classes`; -1 for a label the model does not know."""
    index = {str(c): i for i, c in enumerate(classes)}
    return np.asarray([index.get(str(y), -1) for y in y_true])


def unknown_labels(y_true: Sequence[Label], classes: Sequence[Label]) -> list[Label]:
    """The data's labels that are not among the model's classes, in a stable order."""
    known = {str(c) for c in classes}
    return sorted({y for y in y_true if str(y) not in known}, key=str)


def decided(proba: np.ndarray, threshold: float | np.ndarray | None) -> np.ndarray:
    """Each row's predicted class index: a binary model's positive class (index 1) when its
    probability reaches `threshold` (one cut, or each row's: cross-fitted figures), else (or
    with no threshold) the most probable class."""
    if threshold is not None and proba.shape[1] == 2:
        return (proba[:, 1] >= threshold).astype(int)
    return proba.argmax(axis=1)


def per_class(
    y_true: Sequence[Label],
    proba: np.ndarray,
    classes: Sequence[Label],
    threshold: float | np.ndarray | None = None,
) -> list[dict[str, Any]]:
    """Precision, recall, F1 and support of each class against the rest, decided as
    `decided` does; for more than two classes also each class's one-vs-rest ROC AUC and
    curve (None/empty when the class is absent from the data or is all of it)."""
    classes = list(classes)
    true_idx = class_indices(y_true, classes)
    pred_idx = decided(proba, threshold)
    labels = list(range(len(classes)))
    precision, recall, f1, support = skm.precision_recall_fscore_support(
        true_idx, pred_idx, labels=labels, zero_division=0
    )
    out = []
    for i, label in enumerate(classes):
        row: dict[str, Any] = {
            "label": label,
            "precision": float(precision[i]),
            "recall": float(recall[i]),
            "f1": float(f1[i]),
            "support": int(support[i]),
            "roc_auc": None,
            "fpr": [],
            "tpr": [],
        }
        if len(classes) > 2:
            fpr, tpr, auc = roc_points(y_true, proba[:, i], label, MAX_CURVE_POINTS)
            row.update(roc_auc=auc, fpr=fpr, tpr=tpr)
        out.append(row)
    return out


def evaluate(
    y_true: Sequence[Label],
    proba: np.ndarray,
    classes: Sequence[Label],
    threshold: float | None = None,
    row_cuts: np.ndarray | None = None,
) -> dict[str, Any]:
    """Accuracy, precision, recall, F1 (macro when multiclass), ROC AUC (one-vs-rest macro
    when multiclass), the confusion matrix, for binary problems the ROC curve, and the
    per-class figures (`per_class`). A binary model's labels are decided at `threshold`
    (its positive class's decision threshold; None: the most probable class), which
    `decision_thresholds` records; the ROC figures do not depend on it. `row_cuts`, each
    row's cut, decides the rows instead when they are not all decided at the one threshold
    (cross-fitted figures); `threshold` is still the one recorded."""
    classes = list(classes)
    true_idx = class_indices(y_true, classes)
    binary = len(classes) == 2
    threshold = threshold if binary else None
    cuts = row_cuts if binary and row_cuts is not None else threshold
    pred_idx = decided(proba, cuts)
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
        "per_class": per_class(y_true, proba, classes, cuts),
        "decision_thresholds": None if threshold is None else {str(classes[1]): threshold},
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
