"""The figures a retrain from feedback is judged by, against sklearn's on hand-made
answers, and the rule for "better"."""

import numpy as np
import pytest

from app.ml.comparison import is_better, scores


def test_binary_scores_compare_labels_as_text() -> None:
    proba = np.array([[0.9, 0.1], [0.2, 0.8], [0.6, 0.4], [0.3, 0.7]])
    got = scores(["0", "1", "1", 0], proba, [0, 1])  # 0 and "0" are one label
    assert got["n"] == 4
    # predicted 0, 1, 0, 1 against 0, 1, 1, 0: each class has F1 1/2
    assert got["accuracy"] == pytest.approx(0.5)
    assert got["macro_f1"] == pytest.approx(0.5)
    # positives 0.8, 0.4 against negatives 0.1, 0.7: 3 of 4 pairs ordered
    assert got["roc_auc"] == pytest.approx(0.75)


def test_a_binary_version_is_judged_at_its_threshold() -> None:
    """As it predicts: at 0.35, the answer 0.4 is a 1 (right) and 0.7 too (wrong)."""
    proba = np.array([[0.9, 0.1], [0.2, 0.8], [0.6, 0.4], [0.3, 0.7]])
    got = scores(["0", "1", "1", 0], proba, [0, 1], 0.35)
    assert got["accuracy"] == pytest.approx(0.75)
    assert got["roc_auc"] == pytest.approx(0.75)  # the ranking does not depend on it
    assert scores(["0", "1", "1", 0], proba, [0, 1], 0.95)["accuracy"] == pytest.approx(0.5)


def test_a_label_the_model_never_learned_is_a_miss_and_leaves_no_auc() -> None:
    proba = np.array([[0.9, 0.1], [0.2, 0.8]])
    got = scores(["spam", "1"], proba, [0, 1])
    assert got["accuracy"] == pytest.approx(0.5)
    assert got["roc_auc"] is None
    # "spam" (recall 0), "0" (precision 0), "1" (F1 1) averaged
    assert got["macro_f1"] == pytest.approx(1 / 3)


def test_better_is_a_higher_macro_f1_then_a_higher_auc() -> None:
    def s(f1: float, auc: float | None) -> dict[str, object]:
        return {"macro_f1": f1, "roc_auc": auc}

    assert is_better(s(0.8, 0.5), s(0.7, 0.9))
    assert not is_better(s(0.7, 0.99), s(0.8, 0.5))
    assert is_better(s(0.8, 0.9), s(0.8, 0.8))
    assert not is_better(s(0.8, 0.9), s(0.8, 0.9))
    assert not is_better(s(0.8, None), s(0.8, 0.1))
