"""Comparing models on the same labelled texts: precision-recall curves and a metrics table."""

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn import metrics as skm

MAX_CURVE_POINTS = 500
BEST_MARK = "★ best"


@dataclass(frozen=True)
class ModelCurves:
    name: str
    roc_auc: float | None
    fpr: list[float]
    tpr: list[float]
    precision: list[float]
    recall: list[float]
    average_precision: float | None
    best_f1: float | None
    best_threshold: float | None


def truth(labels: Sequence[object], positive: object) -> np.ndarray:
    """True where a label is the positive class (compared as text: 1 == "1")."""
    return np.asarray([str(y) == str(positive) for y in labels], dtype=bool)


def thin(*arrays: np.ndarray, max_points: int = MAX_CURVE_POINTS) -> list[list[float]]:
    """Every array cut to at most `max_points`, evenly spaced, ends kept."""
    size = len(arrays[0])
    if size <= max_points:
        keep = np.arange(size)
    else:
        keep = np.unique(np.linspace(0, size - 1, max_points).round().astype(int))
    return [np.asarray(a)[keep].round(6).tolist() for a in arrays]


def model_curves(
    name: str,
    labels: Sequence[object],
    scores: Sequence[float],
    positive: object,
    *,
    roc_auc: float | None = None,
    fpr: Sequence[float] = (),
    tpr: Sequence[float] = (),
) -> ModelCurves:
    """Precision-recall from scores and labels; the ROC curve as the backend computed it."""
    y = truth(labels, positive)
    s = np.asarray(scores, dtype=float)
    if y.all() or not y.any():
        return ModelCurves(name, roc_auc, list(fpr), list(tpr), [], [], None, None, None)
    precision, recall, thresholds = skm.precision_recall_curve(y, s)
    f1 = 2 * precision * recall / np.maximum(precision + recall, 1e-12)
    best = int(np.argmax(f1[:-1])) if len(thresholds) else 0
    precision_pts, recall_pts = thin(precision, recall)
    return ModelCurves(
        name=name,
        roc_auc=roc_auc,
        fpr=list(fpr),
        tpr=list(tpr),
        precision=precision_pts,
        recall=recall_pts,
        average_precision=float(skm.average_precision_score(y, s)),
        best_f1=float(f1[best]),
        best_threshold=float(thresholds[best]) if len(thresholds) else None,
    )


def comparison_table(curves: Sequence[ModelCurves], *, mark_best: bool = True) -> pd.DataFrame:
    """One row per model, best ROC AUC first (average precision breaks ties), and marked
    unless `mark_best` is False (figures that cannot be ranked fairly). Models whose two
    figures are equal to the best's (the same scores: a version with other thresholds) are
    all marked: none of them is better."""
    frame = pd.DataFrame(
        {
            "model": [c.name for c in curves],
            "ROC AUC": [c.roc_auc for c in curves],
            "average precision": [c.average_precision for c in curves],
            "best F1": [c.best_f1 for c in curves],
            "at threshold": [c.best_threshold for c in curves],
        }
    )
    ranked = ["ROC AUC", "average precision"]
    frame = frame.sort_values(
        ranked, ascending=False, na_position="last", kind="stable"
    ).reset_index(drop=True)
    if mark_best and len(frame) and frame["ROC AUC"].notna().iloc[0]:
        # a first column, unnamed, for the mark only: none when no model is marked
        tied = (frame[ranked] == frame.loc[0, ranked]).all(axis=1)
        frame.insert(0, "", tied.map({True: BEST_MARK, False: ""}))
    return frame


def base_rate(labels: Sequence[object], positive: object) -> float:
    y = truth(labels, positive)
    return float(y.mean()) if len(y) else 0.0
