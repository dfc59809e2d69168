"""Cross-fitted held-out figures: the threshold is chosen on all the held-out rows, its
figures measured as on rows it was not chosen on."""

import numpy as np
import pytest

from app.ml.cross_fitting import FOLDS, folds, metrics_at, row_cuts
from app.ml.metrics import evaluate
from app.ml.multilabel import MultiLabels
from app.ml.thresholds import choose_cut, cutoffs, fit_thresholds
from shared.schemas import Metrics
from shared.schemas.thresholds import ThresholdObjective

MAX_F1 = ThresholdObjective()


def _noise(seed: int, n: int, share: float) -> tuple[list[int], np.ndarray]:
    """Labels and probabilities that have nothing to do with each other."""
    rng = np.random.default_rng(seed)
    labels = (rng.random(n) < share).astype(int).tolist()
    positive = rng.random(n)
    return labels, np.c_[1 - positive, positive]


def _f1_on_fresh_noise(cut: float, share: float, seed: int) -> float:
    """The F1 at `cut` on a large fresh sample of the same noise: what the model would do."""
    rng = np.random.default_rng(10_000 + seed)
    truth = rng.random(200_000) < share
    predicted = rng.random(200_000) >= cut
    return float(2 * (predicted & truth).sum() / (predicted.sum() + truth.sum()))


def test_on_noise_in_sample_f1_is_optimistic_and_cross_fitted_is_near_fresh_rows() -> None:
    in_sample, cross_fitted, fresh = [], [], []
    for seed in range(20):
        labels, proba = _noise(seed, 400, 0.08)
        thresholds = fit_thresholds(labels, proba, [0, 1], None)
        assert thresholds is not None
        cut = cutoffs(thresholds)["1"]  # type: ignore[index]
        metrics = metrics_at(labels, proba, [0, 1], thresholds)
        assert metrics["threshold_figures"] == "cross_fitted"
        assert metrics["decision_thresholds"] == {"1": cut}  # the one chosen on all rows
        in_sample.append(evaluate(labels, proba, [0, 1], cut)["f1"])
        cross_fitted.append(metrics["f1"])
        fresh.append(_f1_on_fresh_noise(cut, 0.08, seed))
    optimism = np.mean(in_sample) - np.mean(fresh)
    assert optimism > 0.03  # the threshold fitted the noise of the rows it was chosen on
    assert abs(np.mean(cross_fitted) - np.mean(fresh)) < optimism / 2
    assert np.mean(cross_fitted) < np.mean(in_sample)


def test_the_figures_are_one_set_of_decisions() -> None:
    labels, proba = _noise(3, 300, 0.3)
    metrics = metrics_at(labels, proba, [0, 1], fit_thresholds(labels, proba, [0, 1], None))
    (tn, fp), (fn, tp) = metrics["confusion_matrix"]
    assert tn + fp + fn + tp == metrics["n_test"] == 300
    assert metrics["accuracy"] == pytest.approx((tp + tn) / 300)
    assert metrics["precision"] == pytest.approx(tp / (tp + fp))
    assert metrics["recall"] == pytest.approx(tp / (tp + fn))
    assert metrics["per_class"][1]["f1"] == pytest.approx(metrics["f1"])
    assert Metrics.model_validate(metrics).threshold_figures == "cross_fitted"


def test_folds_are_stratified_deterministic_and_even() -> None:
    truth = np.r_[np.ones(7, dtype=bool), np.zeros(20, dtype=bool)]
    fold = folds(truth, 5)
    assert np.array_equal(fold, folds(truth, 5))
    assert sorted(np.bincount(fold[truth], minlength=5)) == [1, 1, 1, 2, 2]
    assert sorted(np.bincount(fold[~truth])) == [4, 4, 4, 4, 4]
    assert np.ptp(np.bincount(fold)) <= 1


def test_each_row_is_decided_at_the_cut_chosen_on_the_other_folds() -> None:
    labels, proba = _noise(5, 200, 0.3)
    truth, scores = np.asarray(labels, dtype=bool), proba[:, 1]
    cuts, reason = row_cuts(truth, scores, MAX_F1, 0.5)
    assert reason is None
    fold = folds(truth)
    for k in range(FOLDS):
        without = fold != k
        expected, _ = choose_cut(truth[without], scores[without], MAX_F1)
        assert np.all(cuts[fold == k] == expected)
    assert len(set(cuts)) > 1  # not one cut for all: the folds chose their own


def test_a_label_with_one_positive_keeps_the_in_sample_figures_and_says_so() -> None:
    truth = np.r_[True, np.zeros(30, dtype=bool)]  # the other folds of its fold have none
    scores = np.linspace(0.9, 0.1, 31)
    cuts, reason = row_cuts(truth, scores, MAX_F1, 0.85)
    assert np.all(cuts == 0.85) and reason == "fewer than 2 held-out positives"

    labels = truth.astype(int).tolist()
    proba = np.c_[1 - scores, scores]
    thresholds = fit_thresholds(labels, proba, [0, 1], None)
    metrics = metrics_at(labels, proba, [0, 1], thresholds)
    assert metrics["threshold_figures"] == "in_sample"
    assert "1: fewer than 2 held-out positives" in metrics["threshold_figures_note"]
    cut = cutoffs(thresholds)["1"]  # type: ignore[index]
    assert metrics["f1"] == evaluate(labels, proba, [0, 1], cut)["f1"] == 1.0


def test_an_objective_a_half_cannot_meet_keeps_the_in_sample_figures() -> None:
    truth = np.tile([True, False], 20)
    scores = np.full(40, 0.5)  # every cut has precision 0.5 on any rows
    objective = ThresholdObjective(objective="recall_at_precision", min_precision=0.9)
    cuts, reason = row_cuts(truth, scores, objective, 0.4)
    assert np.all(cuts == 0.4) and reason == "the objective cannot be met without a fold"


def test_a_multilabel_model_cross_fits_each_label_and_says_which_could_not_be() -> None:
    rng = np.random.default_rng(7)
    n = 300
    matrix = np.c_[rng.random(n) < 0.3, np.r_[1, np.zeros(n - 1)]].astype(int)
    proba = np.c_[np.clip(matrix[:, 0] * 0.3 + rng.random(n) * 0.7, 0, 1), rng.random(n)]
    truth = MultiLabels(["common", "rare"], matrix)
    thresholds = fit_thresholds(truth, proba, ["common", "rare"], None)
    metrics = metrics_at(truth, proba, ["common", "rare"], thresholds)
    assert metrics["threshold_figures"] == "partly_cross_fitted"
    note = metrics["threshold_figures_note"]
    assert note.endswith("rare: fewer than 2 held-out positives")
    assert "common" not in note
    assert metrics["decision_thresholds"] == cutoffs(thresholds)
    mean = np.mean([metrics["per_class"][i]["f1"] for i in range(2)])
    assert metrics["f1"] == pytest.approx(mean)


def test_thresholds_given_by_hand_and_multiclass_figures_are_fixed() -> None:
    labels, proba = _noise(1, 100, 0.5)
    by_hand = {
        "source": "manual",
        "objective": None,
        "thresholds": [{"label": 1, "threshold": 0.3}],
        "set_at": "2026-01-01T00:00:00Z",
    }
    metrics = metrics_at(labels, proba, [0, 1], by_hand)
    assert metrics["threshold_figures"] == "fixed"
    assert metrics["f1"] == evaluate(labels, proba, [0, 1], 0.3)["f1"]
    three = np.random.default_rng(2).dirichlet(np.ones(3), size=30)
    assert metrics_at(["a", "b", "c"] * 10, three, ["a", "b", "c"], None)["threshold_figures"] == (
        "fixed"
    )
