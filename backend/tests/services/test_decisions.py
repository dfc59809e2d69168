"""Labels decided by thresholds: a multi-label answer's labels are those over their own
threshold (0.5 for a label the thresholds do not name); a binary one's positive class."""

import pytest

from app.ml.bundle import Predictions
from app.services.decisions import decided


def multilabel_answers() -> Predictions:
    proba = [[0.3, 0.6, 0.1], [0.05, 0.2, 0.45]]
    return Predictions(
        labels=["b", ""],
        confidences=[0.6, 0.55],
        probabilities=proba,
        known_token_share=[1.0, 1.0],
        label_sets=[["b"], []],
    )


def test_multilabel_labels_follow_each_labels_threshold() -> None:
    answers = decided(multilabel_answers(), ["a", "b", "c"], {"a": 0.25, "b": 0.7})
    # a: 0.3 >= 0.25 applies; b: 0.6 < 0.7 no longer; c: not named, so 0.5
    assert answers.label_sets == [["a"], []]
    assert answers.labels == ["a", ""]
    assert answers.confidences == pytest.approx([0.3, 0.55])  # none applies: 1 - 0.45
    answers = decided(multilabel_answers(), ["a", "b", "c"], {"c": 0.4, "a": 0.01})
    assert answers.label_sets == [["a", "b"], ["a", "c"]]
    assert answers.labels == ["a, b", "a, c"] and answers.confidences == pytest.approx([0.6, 0.45])
    assert answers.probabilities == multilabel_answers().probabilities


def test_no_thresholds_leave_the_answers_as_they_are() -> None:
    answers = multilabel_answers()
    assert decided(answers, ["a", "b", "c"], None) is answers
    binary = Predictions(["no"], [0.6], [[0.6, 0.4]], [1.0])
    assert decided(binary, ["no", "yes"], {"yes": 0.3}).labels == ["yes"]
