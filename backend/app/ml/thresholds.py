"""Decision thresholds: choose one on held-out scores by an objective, and decide labels
with them. A threshold belongs to a label (the positive class of a binary model; each label
of a multi-label model, each label its own binary problem), so the store is
{label: threshold}.

Every distinct score is a candidate cut (a text is positive when its score is at least the
cut); the chosen cut is put halfway to the next lower score, so that texts scored just
below the held-out ones are not decided by a hair, and the figures reported are the
held-out ones at that cut.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np

from app.ml.labels import Label
from app.ml.metrics import evaluate
from app.ml.multilabel import MultiLabels
from app.ml.multilabel_metrics import evaluate_multilabel
from shared.schemas.thresholds import DecisionThresholds, LabelThreshold, ThresholdObjective


@dataclass(frozen=True)
class _Curve:
    cuts: np.ndarray  # candidate thresholds, high to low, then one that takes everything
    tp: np.ndarray
    fp: np.ndarray
    positives: int
    negatives: int

    @property
    def fn(self) -> np.ndarray:
        return self.positives - self.tp

    @property
    def precision(self) -> np.ndarray:
        predicted = self.tp + self.fp
        return np.divide(self.tp, predicted, out=np.ones(len(self.tp)), where=predicted > 0)

    @property
    def recall(self) -> np.ndarray:
        return self.tp / max(self.positives, 1)

    @property
    def f1(self) -> np.ndarray:
        both = 2 * self.tp + self.fp + self.fn
        return np.divide(2 * self.tp, both, out=np.zeros(len(self.tp)), where=both > 0)


def _curve(truth: np.ndarray, scores: np.ndarray) -> _Curve:
    order = np.argsort(-scores, kind="stable")
    sorted_scores, sorted_truth = scores[order], truth[order]
    # the last position of each distinct score: a cut there takes the whole tie
    last = np.r_[np.flatnonzero(np.diff(sorted_scores) != 0), len(scores) - 1]
    tp = np.cumsum(sorted_truth)[last]
    fp = (last + 1) - tp
    lower = np.r_[sorted_scores[last[1:]], 0.0]  # next lower score (or 0)
    cuts = (sorted_scores[last] + lower) / 2
    # a cut above every score: nothing positive
    cuts = np.r_[min(1.0, float(sorted_scores[0]) + 1e-6), cuts]
    tp = np.r_[0, tp]
    fp = np.r_[0, fp]
    return _Curve(cuts, tp, fp, int(truth.sum()), int(len(truth) - truth.sum()))


def _pick(curve: _Curve, objective: ThresholdObjective) -> tuple[int, str | None]:
    if objective.objective == "max_f1":
        return int(np.argmax(curve.f1)), None
    if objective.objective == "min_cost":
        cost = objective.cost_fp * curve.fp + objective.cost_fn * curve.fn
        return int(np.argmin(cost)), None
    if objective.objective == "precision_at_recall":
        ok = curve.recall >= (objective.min_recall or 0.0)
        best = np.where(ok, curve.precision, -1.0)
        return int(np.argmax(best)), None
    ok = curve.precision >= (objective.min_precision or 0.0)
    ok[0] = ok[0] and curve.tp[0] > 0  # "nothing positive" has no precision to speak of
    if not ok.any():
        i = int(np.argmax(np.where(curve.tp > 0, curve.precision, -1.0)))
        return i, (
            f"no threshold reaches precision {objective.min_precision} on the held-out "
            f"split; the most precise one ({curve.precision[i]:.3f}) is used"
        )
    return int(np.argmax(np.where(ok, curve.recall, -1.0))), None


def choose_threshold(
    truth: Sequence[bool] | np.ndarray,
    scores: Sequence[float] | np.ndarray,
    objective: ThresholdObjective,
    label: Label,
) -> tuple[LabelThreshold, str | None]:
    """The threshold for `label` on held-out scores (its probability) and truths (whether
    the text has it), by `objective`; and a note when the objective could not be met."""
    truth_array = np.asarray(truth, dtype=bool)
    score_array = np.asarray(scores, dtype=float)
    cut, note = choose_cut(truth_array, score_array, objective)
    return at_cut(truth_array, score_array, cut, label), note


def choose_cut(
    truth: np.ndarray, scores: np.ndarray, objective: ThresholdObjective
) -> tuple[float, str | None]:
    """The cut `objective` chooses on these scores and truths (bool arrays), and a note when
    it could not be met."""
    if not len(scores):
        raise ValueError("no held-out scores to choose a threshold on")
    curve = _curve(truth, scores)
    i, note = _pick(curve, objective)
    return float(round(curve.cuts[i], 6)), note


def at_cut(truth: np.ndarray, scores: np.ndarray, cut: float, label: Label) -> LabelThreshold:
    """The held-out figures of `label` at the threshold `cut`."""
    predicted = scores >= cut
    tp = int((predicted & truth).sum())
    fp = int((predicted & ~truth).sum())
    fn = int((~predicted & truth).sum())
    tn = int(len(truth) - tp - fp - fn)
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else 0.0
    return LabelThreshold(
        label=label,
        threshold=cut,
        precision=round(precision, 6),
        recall=round(recall, 6),
        f1=round(f1, 6),
        tp=tp,
        fp=fp,
        fn=fn,
        tn=tn,
    )


def choose_per_label(
    truth: np.ndarray, proba: np.ndarray, names: Sequence[str], objective: ThresholdObjective
) -> tuple[list[LabelThreshold], str | None]:
    """A multi-label model's thresholds, one per label (column of `truth`, a 0/1 matrix, and
    of `proba`), each chosen by `objective` as its own binary problem; and a note naming
    the labels whose objective could not be met."""
    truth_matrix = np.asarray(truth, dtype=bool)
    score_matrix = np.asarray(proba, dtype=float)
    chosen, notes = [], []
    for i, name in enumerate(names):
        threshold, note = choose_threshold(truth_matrix[:, i], score_matrix[:, i], objective, name)
        chosen.append(threshold)
        if note:
            notes.append(f"{name}: {note}")
    return chosen, "; ".join(notes) or None


def decide_binary(
    proba: np.ndarray, classes: Sequence[Label], thresholds: dict[str, float]
) -> np.ndarray | None:
    """Each row's class index under a binary model's threshold for its positive class
    (classes[1]); None when the thresholds do not name it (then argmax stands)."""
    cut = positive_cut(classes, thresholds) if proba.shape[1] == 2 else None
    if cut is None:
        return None
    return (proba[:, 1] >= cut).astype(int)


def positive_cut(classes: Sequence[Label], thresholds: dict[str, float] | None) -> float | None:
    """A binary model's threshold for its positive class (classes[1]); None for a model of
    another number of classes, or when the thresholds do not name it."""
    if len(classes) != 2:
        return None
    return (thresholds or {}).get(str(classes[1]))


def fit_thresholds(
    y_true: Sequence[Label] | MultiLabels,
    proba: np.ndarray,
    classes: Sequence[Label],
    objective: dict[str, object] | None,
) -> dict[str, object] | None:
    """The thresholds a fit stores (DecisionThresholds as JSON), chosen on its held-out
    split; None for a multiclass model, which decides by the most probable class. A
    multi-label fit passes its held-out MultiLabels: one threshold per label."""
    chosen = ThresholdObjective.model_validate(objective or {})
    if isinstance(y_true, MultiLabels):
        if not len(y_true):
            return None
        per_label, note = choose_per_label(y_true.matrix, proba, y_true.names, chosen)
        return DecisionThresholds(
            source="fit",
            objective=chosen,
            thresholds=per_label,
            set_at=datetime.now(UTC),
            note=note,
        ).model_dump(mode="json")
    if len(classes) != 2 or not len(y_true):
        return None
    positive = classes[1]
    truth = np.asarray([str(y) == str(positive) for y in y_true])
    threshold, note = choose_threshold(truth, proba[:, 1], chosen, positive)
    return DecisionThresholds(
        source="fit",
        objective=chosen,
        thresholds=[threshold],
        set_at=datetime.now(UTC),
        note=note,
    ).model_dump(mode="json")


def cutoffs(thresholds: dict[str, Any] | DecisionThresholds | None) -> dict[str, float] | None:
    """{label: threshold} of a DecisionThresholds (or its JSON); None when there are none."""
    if thresholds is None:
        return None
    chosen = DecisionThresholds.model_validate(thresholds)
    return {str(t.label): t.threshold for t in chosen.thresholds}


def held_out_metrics(
    y_true: Sequence[Label] | MultiLabels,
    proba: np.ndarray,
    classes: Sequence[Label],
    cuts: dict[str, float] | None,
    row_cuts: np.ndarray | None = None,
) -> dict[str, Any]:
    """A model's held-out metrics with its labels decided as its predictions decide them:
    a binary model at its positive class's threshold, a multi-label one at each label's
    (0.5 where none), a multiclass one by the most probable class; or, for cross-fitted
    figures, each row at its own cut (`row_cuts`: one per row for a binary model, one per
    row and label for a multi-label one), `cuts` still the thresholds recorded. The ROC
    figures do not depend on the thresholds."""
    if isinstance(y_true, MultiLabels):
        return evaluate_multilabel(y_true.matrix, proba, y_true.names, cuts, row_cuts)
    threshold = (cuts or {}).get(str(classes[1])) if len(classes) == 2 else None
    return evaluate(y_true, proba, classes, threshold, row_cuts)
