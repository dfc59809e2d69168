"""The hard-example scores on known probabilities: each strategy's value and order, and
a binary model's probabilities moved to its threshold (rank by the distance to it)."""

import math

import numpy as np
import pytest

from app.ml.uncertainty import STRATEGIES, centred_on_threshold, hardest_first, uncertainty

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


def binary(positive: list[float]) -> np.ndarray:
    p = np.asarray(positive, dtype=float)
    return np.column_stack([1 - p, p])


def logit(p: float) -> float:
    return math.log(p / (1 - p))


def test_the_threshold_lands_on_one_half_on_the_logit_scale() -> None:
    moved = centred_on_threshold(binary([0.2, 0.5, 0.05, 0.9]), 0.2)
    assert moved[:, 0] + moved[:, 1] == pytest.approx([1.0] * 4)
    assert moved[0, 1] == pytest.approx(0.5)
    for p, q in zip([0.2, 0.5, 0.05, 0.9], moved[:, 1], strict=True):
        assert logit(q) == pytest.approx(logit(p) - logit(0.2))
    # increasing in p: every text keeps its side of the threshold
    many = np.linspace(0, 1, 101)
    assert np.all(np.diff(centred_on_threshold(binary(list(many)), 0.3)[:, 1]) > 0)


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_every_strategy_ranks_by_the_distance_to_the_threshold(strategy: str) -> None:
    positive = [0.5, 0.45, 0.21, 0.05, 0.97]
    moved = centred_on_threshold(binary(positive), 0.2)
    order = hardest_first(uncertainty(moved, strategy), strategy).tolist()
    by_distance = sorted(range(5), key=lambda i: abs(logit(positive[i]) - logit(0.2)))
    assert order == by_distance == [2, 1, 0, 3, 4]
    # at 0.5 as before: the distance to an even split
    plain = hardest_first(uncertainty(binary(positive), strategy), strategy).tolist()
    assert plain == [0, 1, 2, 3, 4]


def test_no_threshold_moves_nothing_and_one_half_next_to_nothing() -> None:
    proba = binary([0.5, 0.3, 0.99])
    assert np.array_equal(centred_on_threshold(proba, None), proba)
    assert centred_on_threshold(proba, 0.5) == pytest.approx(proba)
    # a multiclass matrix with no threshold passes through; with one it is an error
    assert np.array_equal(centred_on_threshold(PROBA, None), PROBA)
    with pytest.raises(ValueError, match="two-class"):
        centred_on_threshold(PROBA, 0.2)


@pytest.mark.parametrize("cut", [0.0, 1.0, 1e-300])
def test_cutoffs_at_the_edges_stay_finite(cut: float) -> None:
    moved = centred_on_threshold(binary([0.0, 1e-9, 0.5, 1.0]), cut)
    assert np.all(np.isfinite(moved)) and np.all((moved >= 0) & (moved <= 1))
    assert moved[0, 1] == 0.0 and moved[3, 1] == 1.0  # a certain text stays certain
    for strategy in STRATEGIES:
        assert np.all(np.isfinite(uncertainty(moved, strategy)))
