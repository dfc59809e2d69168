"""The hard-example scores on known probabilities: each strategy's value and order."""

import math

import numpy as np
import pytest

from app.ml.uncertainty import hardest_first, uncertainty

PROBA = np.array(
    [
        [0.50, 0.49, 0.01],  # a close call between two classes
        [0.40, 0.30, 0.30],  # spread out
        [0.90, 0.05, 0.05],  # sure
        [1.00, 0.00, 0.00],  # certain (a zero probability)
    ]
)


def test_least_confidence_is_one_minus_the_top_probability() -> None:
    assert uncertainty(PROBA, "least_confidence") == pytest.approx([0.5, 0.6, 0.1, 0.0])


def test_margin_is_the_gap_between_the_two_top_classes() -> None:
    assert uncertainty(PROBA, "margin") == pytest.approx([0.01, 0.1, 0.85, 1.0])
    assert uncertainty(np.array([[1.0]]), "margin") == pytest.approx([1.0])  # one class


def test_entropy_in_nats_and_zero_for_a_certain_text() -> None:
    expected = [-sum(p * math.log(p) for p in row if p > 0) for row in PROBA]
    assert uncertainty(PROBA, "entropy") == pytest.approx(expected)
    assert uncertainty(PROBA, "entropy")[3] == 0.0


@pytest.mark.parametrize(
    ("strategy", "order"),
    [("least_confidence", [1, 0, 2, 3]), ("margin", [0, 1, 2, 3]), ("entropy", [1, 0, 2, 3])],
)
def test_hardest_first(strategy: str, order: list[int]) -> None:
    assert hardest_first(uncertainty(PROBA, strategy), strategy).tolist() == order


def test_ties_keep_their_order_and_nothing_is_nothing() -> None:
    tied = np.array([[0.5, 0.5], [0.6, 0.4], [0.5, 0.5]])
    assert hardest_first(uncertainty(tied, "margin"), "margin").tolist() == [0, 2, 1]
    assert uncertainty(np.zeros((0, 2)), "entropy").shape == (0,)
    with pytest.raises(ValueError, match="unknown strategy"):
        uncertainty(PROBA, "random")
