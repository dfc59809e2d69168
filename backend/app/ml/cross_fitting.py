"""Held-out figures of thresholds chosen on the held-out rows, cross-fitted.

A threshold chosen by an objective (max F1, ...) on the held-out rows fits their noise as
well as their signal, so the figures it gives on those same rows are optimistic; for a rare
label with a few dozen positives, by much. The stored threshold stays the one chosen on
all the rows (the best estimate), but the figures that depend on it are measured as on
rows it was not chosen on: the rows are dealt into FOLDS folds (two halves; stratified by
the label, with a fixed seed), and the rows of each fold are decided at the cut the
objective chooses on the other folds. The pooled decisions give every figure (confusion
matrix, precision, recall, F1, accuracy, per class), so they agree with each other. A
label whose other folds cannot choose a cut keeps its in-sample figures, and
`threshold_figures_note` says why.

Measured (bench/bench_threshold_figures.py, 4,000 rows of the toxic sample, 5 draws): the
optimism of the in-sample F1 (+0.015 to +0.044 per label) is gone for the labels with 30
or more held-out positives (-0.02 to +0.01); a label with about 9 held-out positives comes
out about 0.10 too low, with five folds as with two (so two: the simpler).
"""

import logging
from collections.abc import Sequence
from typing import Any

import numpy as np

from app.ml.labels import Label
from app.ml.multilabel import MultiLabels, cuts_for
from app.ml.thresholds import choose_cut, cutoffs, held_out_metrics
from shared.schemas.thresholds import DecisionThresholds, ThresholdObjective

log = logging.getLogger(__name__)

FOLDS = 2  # halves: each row decided at a cut chosen on the other half of the rows
FOLDS_SEED = 0  # the same rows fall in the same folds every time


def folds(truth: np.ndarray, k: int = FOLDS, seed: int = FOLDS_SEED) -> np.ndarray:
    """Each row's fold, 0 to k - 1: the positives in a random order drawn with `seed`, then
    the negatives likewise, dealt to the folds in turn, so that each fold holds its share
    of each (give or take one) and the folds differ in size by one at most."""
    truth = np.asarray(truth, dtype=bool)
    rng = np.random.default_rng(seed)
    order = np.r_[rng.permutation(np.flatnonzero(truth)), rng.permutation(np.flatnonzero(~truth))]
    fold = np.zeros(len(truth), dtype=int)
    fold[order] = np.arange(len(truth)) % k
    return fold


def row_cuts(
    truth: np.ndarray, scores: np.ndarray, objective: ThresholdObjective, cut: float
) -> tuple[np.ndarray, str | None]:
    """Each row's cut: the one `objective` chooses on the rows of the other folds (`folds`).
    When those rows cannot choose one (they have no positive or no negative: the label has
    at most one of either, or the objective cannot be met on them): `cut`, the one chosen
    on all the rows, for every row, and why."""
    truth = np.asarray(truth, dtype=bool)
    scores = np.asarray(scores, dtype=float)
    fold = folds(truth)
    out = np.full(len(truth), float(cut))
    for k in np.unique(fold):
        chosen_on = fold != k
        their_truth = truth[chosen_on]
        if their_truth.all() or not their_truth.any():
            lacking = "negative" if their_truth.all() else "positive"
            return np.full(len(truth), float(cut)), f"fewer than 2 held-out {lacking}s"
        fold_cut, note = choose_cut(their_truth, scores[chosen_on], objective)
        if note is not None:
            return np.full(len(truth), float(cut)), "the objective cannot be met without a fold"
        out[~chosen_on] = fold_cut
    return out, None


def metrics_at(
    y_true: Sequence[Label] | MultiLabels,
    proba: np.ndarray,
    classes: Sequence[Label],
    thresholds: dict[str, Any] | DecisionThresholds | None,
) -> dict[str, Any]:
    """A model's held-out metrics at its `thresholds` (`held_out_metrics`), with
    `threshold_figures` saying what its threshold-dependent figures are: `cross_fitted` when
    the thresholds were chosen by an objective on these rows (`partly_cross_fitted`, or
    `in_sample` when none could be, as `threshold_figures_note` says for which labels and
    why); `fixed` when nothing was chosen on them (thresholds given by hand; a multiclass
    model, which takes the most probable class)."""
    cuts = cutoffs(thresholds)
    chosen = None if thresholds is None else DecisionThresholds.model_validate(thresholds)
    if chosen is None or chosen.objective is None or chosen.source == "manual":
        figures = held_out_metrics(y_true, proba, classes, cuts)
        return {**figures, "threshold_figures": "fixed", "threshold_figures_note": None}
    names, truth, scores = _by_label(y_true, proba, classes)
    stored = cuts_for(names, cuts)
    per_row = np.empty_like(scores)
    in_sample = []
    for i, name in enumerate(names):
        per_row[:, i], reason = row_cuts(truth[:, i], scores[:, i], chosen.objective, stored[i])
        if reason is not None:
            in_sample.append(f"{name}: {reason}")
    multilabel = isinstance(y_true, MultiLabels)
    figures = held_out_metrics(
        y_true, proba, classes, cuts, per_row if multilabel else per_row[:, 0]
    )
    note = None
    if in_sample:
        note = "in-sample figures (threshold chosen on these rows) for " + "; ".join(in_sample)
        log.info("held-out figures not cross-fitted: %s", note)
    kind = "cross_fitted" if not in_sample else "partly_cross_fitted"
    return {
        **figures,
        "threshold_figures": "in_sample" if len(in_sample) == len(names) else kind,
        "threshold_figures_note": note,
    }


def _by_label(
    y_true: Sequence[Label] | MultiLabels, proba: np.ndarray, classes: Sequence[Label]
) -> tuple[list[str], np.ndarray, np.ndarray]:
    """The labels that have a threshold, and per row and label whether it applies and its
    probability: a multi-label model's every label, a binary model's positive class."""
    if isinstance(y_true, MultiLabels):
        return list(y_true.names), y_true.matrix.astype(bool), np.asarray(proba, dtype=float)
    positive = str(classes[1])
    truth = np.asarray([[str(y) == positive] for y in y_true], dtype=bool).reshape(-1, 1)
    return [positive], truth, np.asarray(proba, dtype=float)[:, 1:2]
