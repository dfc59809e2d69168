import numpy as np
import pytest

from app.ml.labels import normalise_labels, sorted_classes
from app.ml.metrics import evaluate, roc_points


def test_binary_metrics_and_curve() -> None:
    proba = np.array([[0.9, 0.1], [0.2, 0.8], [0.6, 0.4], [0.3, 0.7]])
    out = evaluate([0, 1, 1, 0], proba, [0, 1])
    assert out["accuracy"] == 0.5 and out["positive_label"] == 1
    assert out["confusion_matrix"] == [[1, 1], [1, 1]]
    assert out["roc_auc"] == 0.75
    assert out["roc_curve"]["fpr"][0] == 0 and out["roc_curve"]["tpr"][-1] == 1


def test_binary_metrics_are_decided_at_the_threshold_given() -> None:
    proba = np.array([[0.9, 0.1], [0.2, 0.8], [0.6, 0.4], [0.3, 0.7]])
    out = evaluate([0, 1, 1, 0], proba, [0, 1], threshold=0.35)
    # 0.4, 0.7 and 0.8 reach 0.35: one more true positive, the same false positive
    assert out["confusion_matrix"] == [[1, 1], [0, 2]]
    assert out["accuracy"] == 0.75 and out["recall"] == 1.0
    assert out["per_class"][1]["recall"] == 1.0
    assert out["roc_auc"] == 0.75  # not a matter of threshold
    assert out["decision_thresholds"] == {"1": 0.35}
    assert evaluate([0, 1, 1, 0], proba, [0, 1])["decision_thresholds"] is None


def test_multiclass_macro_and_ovr_auc() -> None:
    proba = np.eye(3)[[0, 1, 2, 0]] * 0.8 + 0.2 / 3
    out = evaluate(["a", "b", "c", "a"], proba, ["a", "b", "c"])
    assert out["f1"] == 1.0 and out["roc_auc"] == 1.0 and out["roc_curve"] is None
    assert len(out["confusion_matrix"]) == 3


def test_roc_points_one_class_only() -> None:
    assert roc_points([1, 1], np.array([0.2, 0.9]), 1) == ([], [], None)


def test_roc_points_are_thinned() -> None:
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 5000).tolist()
    fpr, _, auc = roc_points(y, rng.random(5000), 1, max_points=50)
    assert len(fpr) <= 50 and fpr[0] == 0 and fpr[-1] == 1 and 0.4 < auc < 0.6


def test_labels_keep_their_type() -> None:
    assert normalise_labels(["1", 0, 1.0, " spam ", True]) == [1, 0, 1, "spam", 1]
    assert sorted_classes(["b", 2, "a", 1]) == [1, 2, "a", "b"]


def test_one_cut_for_every_row_gives_the_figures_of_the_threshold() -> None:
    rng = np.random.default_rng(4)
    labels = (rng.random(200) < 0.4).astype(int).tolist()
    positive = rng.random(200)
    proba = np.c_[1 - positive, positive]
    at_threshold = evaluate(labels, proba, [0, 1], 0.42)
    assert evaluate(labels, proba, [0, 1], 0.42, np.full(200, 0.42)) == at_threshold
    # each row at its own cut; the threshold recorded is still the one given
    cuts = np.where(np.arange(200) % 2 == 0, 0.3, 0.7)
    per_row = evaluate(labels, proba, [0, 1], 0.42, cuts)
    assert per_row["decision_thresholds"] == {"1": 0.42}
    predicted = positive >= cuts
    truth = np.asarray(labels, dtype=bool)
    assert per_row["confusion_matrix"][1][1] == int((predicted & truth).sum())
    assert per_row["per_class"][1]["recall"] == pytest.approx(per_row["recall"])
