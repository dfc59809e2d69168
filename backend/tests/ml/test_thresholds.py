"""Threshold choice on held-out scores, checked against a brute-force search."""

import numpy as np
import pytest

from app.ml.multilabel import MultiLabels
from app.ml.thresholds import (
    at_cut,
    choose_per_label,
    choose_threshold,
    decide_binary,
    fit_thresholds,
    positive_cut,
)
from shared.schemas.thresholds import ThresholdObjective


@pytest.fixture(scope="module")
def scored() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    truth = rng.random(400) < 0.3
    scores = np.clip(rng.normal(np.where(truth, 0.65, 0.35), 0.18), 0, 1).round(3)
    return truth, scores


def brute(truth: np.ndarray, scores: np.ndarray) -> list[tuple[float, int, int, int]]:
    """(cut, tp, fp, fn) for each distinct score as the cut."""
    out = []
    for cut in np.unique(scores):
        predicted = scores >= cut
        out.append(
            (
                float(cut),
                int((predicted & truth).sum()),
                int((predicted & ~truth).sum()),
                int((~predicted & truth).sum()),
            )
        )
    return out


def test_max_f1_is_the_best_f1(scored: tuple[np.ndarray, np.ndarray]) -> None:
    truth, scores = scored
    chosen, note = choose_threshold(truth, scores, ThresholdObjective(), 1)
    best = max(2 * tp / (2 * tp + fp + fn) for _, tp, fp, fn in brute(truth, scores))
    assert note is None and chosen.f1 == pytest.approx(best, abs=1e-6)
    again = at_cut(truth, scores, chosen.threshold, 1)  # the figures are those of its cut
    assert again == chosen
    assert chosen.tp + chosen.fp + chosen.fn + chosen.tn == len(truth)


def test_precision_at_recall_and_recall_at_precision(scored: tuple[np.ndarray, np.ndarray]) -> None:
    truth, scores = scored
    rows = brute(truth, scores)
    chosen, _ = choose_threshold(
        truth, scores, ThresholdObjective(objective="precision_at_recall", min_recall=0.9), 1
    )
    feasible = [tp / (tp + fp) for _, tp, fp, fn in rows if tp / (tp + fn) >= 0.9]
    assert chosen.recall >= 0.9 and chosen.precision == pytest.approx(max(feasible), abs=1e-6)
    chosen, note = choose_threshold(
        truth, scores, ThresholdObjective(objective="recall_at_precision", min_precision=0.8), 1
    )
    feasible = [tp / (tp + fn) for _, tp, fp, fn in rows if tp and tp / (tp + fp) >= 0.8]
    assert note is None and chosen.precision >= 0.8
    assert chosen.recall == pytest.approx(max(feasible), abs=1e-6)


def test_an_unreachable_precision_says_so() -> None:
    truth = np.array([True, False, True, False])
    scores = np.array([0.5, 0.5, 0.5, 0.5])
    chosen, note = choose_threshold(
        truth, scores, ThresholdObjective(objective="recall_at_precision", min_precision=0.9), 1
    )
    assert note and "no threshold reaches precision 0.9" in note and chosen.precision == 0.5


def test_costs_move_the_threshold(scored: tuple[np.ndarray, np.ndarray]) -> None:
    truth, scores = scored
    cheap_fn, _ = choose_threshold(
        truth, scores, ThresholdObjective(objective="min_cost", cost_fp=10, cost_fn=1), 1
    )
    dear_fn, _ = choose_threshold(
        truth, scores, ThresholdObjective(objective="min_cost", cost_fp=1, cost_fn=10), 1
    )
    assert cheap_fn.threshold > dear_fn.threshold
    costs = [10 * fp + fn for _, tp, fp, fn in brute(truth, scores)] + [10 * 0 + int(truth.sum())]
    assert 10 * cheap_fn.fp + cheap_fn.fn == min(costs)


def test_objectives_need_their_bounds() -> None:
    with pytest.raises(ValueError, match="min_recall"):
        ThresholdObjective(objective="precision_at_recall")


def test_fit_thresholds_is_binary_only_and_decides() -> None:
    proba = np.array([[0.9, 0.1], [0.6, 0.4], [0.3, 0.7], [0.55, 0.45]])
    stored = fit_thresholds([0, 1, 1, 0], proba, [0, 1], None)
    assert stored is not None and stored["source"] == "fit"
    cut = stored["thresholds"][0]["threshold"]
    assert 0.1 < cut <= 0.4  # halfway between 0.4 (the last positive) and 0.1: F1 0.8
    assert fit_thresholds([0, 1, 2], np.eye(3), [0, 1, 2], None) is None
    assert decide_binary(proba, [0, 1], {"1": 0.42}).tolist() == [0, 0, 1, 1]
    assert decide_binary(proba, [0, 1], {"2": 0.42}) is None


def test_positive_cut_is_the_binary_positive_class_threshold() -> None:
    assert positive_cut([0, 1], {"1": 0.2}) == 0.2
    assert positive_cut(["ham", "spam"], {"ham": 0.2}) is None  # not the positive class
    assert positive_cut([0, 1], None) is None
    assert positive_cut([0, 1, 2], {"2": 0.2}) is None  # multiclass: none


def test_a_multilabel_fit_chooses_each_label_on_its_own(
    scored: tuple[np.ndarray, np.ndarray],
) -> None:
    """Each label's threshold is the one its own column would get as a binary problem."""
    truth, scores = scored
    rng = np.random.default_rng(1)
    other_truth = rng.random(len(truth)) < 0.5
    other_scores = np.clip(rng.normal(np.where(other_truth, 0.3, 0.15), 0.1), 0, 0.45).round(3)
    matrix = np.column_stack([truth, other_truth]).astype(np.int8)
    proba = np.column_stack([scores, other_scores])
    objective = {"objective": "min_cost", "cost_fp": 1, "cost_fn": 3}
    stored = fit_thresholds(MultiLabels(["a", "b"], matrix), proba, ["a", "b"], objective)
    assert stored is not None and stored["source"] == "fit"
    assert stored["objective"]["objective"] == "min_cost"
    assert [t["label"] for t in stored["thresholds"]] == ["a", "b"]
    for i, name in enumerate(["a", "b"]):
        alone, _ = choose_threshold(
            matrix[:, i], proba[:, i], ThresholdObjective.model_validate(objective), name
        )
        assert stored["thresholds"][i] == alone.model_dump(mode="json")
    # label b's scores all lie below 0.5: a fixed cut at 0.5 would never give it
    assert other_scores.max() < 0.5 and stored["thresholds"][1]["threshold"] < 0.5
    # a note names the label whose objective cannot be met (b's scores are one tie)
    tied = np.array([[1, 1], [0, 0], [1, 1], [0, 0]])
    proba = np.array([[0.9, 0.5], [0.1, 0.5], [0.8, 0.5], [0.2, 0.5]])
    strict = ThresholdObjective(objective="recall_at_precision", min_precision=0.9)
    chosen, note = choose_per_label(tied, proba, ["a", "b"], strict)
    assert [t.precision for t in chosen] == [1.0, 0.5] and chosen[0].recall == 1.0
    assert note is not None and note.startswith("b: no threshold reaches precision 0.9")
