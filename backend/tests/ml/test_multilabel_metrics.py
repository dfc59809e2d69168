import numpy as np

from app.ml.multilabel_metrics import evaluate_multilabel


def test_each_rows_cuts_equal_to_the_labels_give_the_same_figures() -> None:
    rng = np.random.default_rng(5)
    truth = (rng.random((150, 3)) < [0.5, 0.2, 0.05]).astype(int)
    proba = rng.random((150, 3))
    cuts = {"a": 0.4, "b": 0.6, "c": 0.9}
    at_cuts = evaluate_multilabel(truth, proba, ["a", "b", "c"], cuts)
    same = np.tile([0.4, 0.6, 0.9], (150, 1))
    assert evaluate_multilabel(truth, proba, ["a", "b", "c"], cuts, same) == at_cuts


def test_each_rows_cuts_decide_the_rows_and_the_labels_cuts_are_recorded() -> None:
    truth = np.array([[1, 0], [0, 1], [1, 1]])
    proba = np.array([[0.6, 0.2], [0.6, 0.7], [0.4, 0.9]])
    row_cuts = np.array([[0.5, 0.5], [0.7, 0.5], [0.3, 0.95]])
    out = evaluate_multilabel(truth, proba, ["a", "b"], {"a": 0.5, "b": 0.5}, row_cuts)
    # a: rows 1 and 3 decided right at their cuts, row 2 not positive at 0.7; b: row 3 missed
    assert out["per_class"][0]["precision"] == 1.0 and out["per_class"][0]["recall"] == 1.0
    assert out["per_class"][1]["recall"] == 0.5
    assert out["accuracy"] == 2 / 3
    assert out["decision_thresholds"] == {"a": 0.5, "b": 0.5}
