"""The population stability index and the histograms it compares, on distributions whose
index is worked out by hand."""

import math

import pytest

from app.ml.drift import PSI_FLOOR, as_bins, confidence_histogram, psi, shares


def test_psi_of_known_distributions() -> None:
    assert psi({"a": 0.5, "b": 0.5}, {"a": 0.5, "b": 0.5}) == 0.0
    # 0.4 ln(0.9 / 0.5) + (-0.4) ln(0.1 / 0.5)
    want = 0.4 * math.log(1.8) - 0.4 * math.log(0.2)
    assert psi({"a": 0.5, "b": 0.5}, {"a": 0.9, "b": 0.1}) == pytest.approx(want)
    assert want == pytest.approx(0.8789, abs=1e-4)
    # symmetric in its two sides
    assert psi({"a": 0.9, "b": 0.1}, {"a": 0.5, "b": 0.5}) == pytest.approx(want)
    # a label the reference never predicted: its share floored, not infinite
    new = psi({"a": 1.0}, {"a": 0.5, "c": 0.5})
    assert new == pytest.approx(
        (0.5 - 1.0) * math.log(0.5) + (0.5 - PSI_FLOOR) * math.log(0.5 / PSI_FLOOR)
    )


def test_shares_and_histograms() -> None:
    assert shares({"a": 3, "b": 1}) == {"a": 0.75, "b": 0.25}
    assert shares({}) == {}
    # bins of 0.1, edges exact (0.3 is in the fourth), 1.0 in the last
    assert confidence_histogram([0.3, 0.29, 1.0, 0.95, 0.0]) == [
        0.2,
        0.0,
        0.2,
        0.2,
        0.0,
        0.0,
        0.0,
        0.0,
        0.0,
        0.4,
    ]
    assert as_bins([0.5, 0.5]) == {"0": 0.5, "1": 0.5}
