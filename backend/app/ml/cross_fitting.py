"""Held-out figures of thresholds chosen on the held-out rows, cross-fitted.

A threshold chosen by an objective (max F1, ...) on the held-out rows fits their noise as
well as their signal, so the figures it gives on those same rows are optimistic; for a rare
label with a few dozen positives, by much. The stored threshold stays the one chosen on all
the rows (the best estimate), but the figures that depend on it are measured as on rows it
was not chosen on: the rows are split in two halves (stratified by the label, with a fixed
seed), the objective chooses a cut on each half, and each row is decided at the cut of the
half it is not in. The pooled decisions give every figure (confusion matrix, precision,
recall, F1, accuracy, per class), so they agree with each other. A label whose halves cannot
each choose a cut keeps its in-sample figures, and `threshold_figures_note` says why.
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

HALVES_SEED = 0  # the same rows fall in the same halves every time


def halves(truth: np.ndarray, seed: int = HALVES_SEED) -> np.ndarray:
    """Each row's half, 0 or 1: the positives in a random order drawn with `seed`, then the
    negatives likewise, dealt alternately to the two halves, so that each half holds half of
    each (give or take one) and the halves differ in size by one at most."""
    truth = np.asarray(truth, dtype=bool)
    rng = np.random.default_rng(seed)
    order = np.r_[rng.permutation(np.flatnonzero(truth)), rng.permutation(np.flatnonzero(~truth))]
    half = np.zeros(len(truth), dtype=int)
    half[order[1::2]] = 1
    return half


def row_cuts(
    truth: np.ndarray, scores: np.ndarray, objective: ThresholdObjective, cut: float
) -> tuple[np.ndarray, str | None]:
    """Each row's cut: the one `objective` chooses on the other half of the rows (`halves`).
    When a half cannot choose one (it has no positive or no negative, or the objective
    cannot be met on it): `cut`, the one chosen on all the rows, for every row, and why."""
    truth = np.asarray(truth, dtype=bool)
    scores = np.asarray(scores, dtype=float)
    half = halves(truth)
    out = np.full(len(truth), float(cut))
    for side in (0, 1):
        chosen_on = half == side
        their_truth = truth[chosen_on]
        if their_truth.all() or not their_truth.any():
            lacking = "negative" if their_truth.all() else "positive"
            return np.full(len(truth), float(cut)), f"a half of the held-out rows has no {lacking}"
        half_cut, note = choose_cut(their_truth, scores[chosen_on], objective)
        if note is not None:
            return np.full(len(truth), float(cut)), "the objective cannot be met on a half"
        out[~chosen_on] = half_cut
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
