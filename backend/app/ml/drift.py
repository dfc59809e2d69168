"""Population stability index and the distributions it compares (pure functions)."""

import math
from collections.abc import Iterable, Mapping, Sequence

# a share of 0 on either side would make the index infinite: shares are floored at this
PSI_FLOOR = 1e-4
CONFIDENCE_BINS = 10


def psi(expected: Mapping[str, float], actual: Mapping[str, float]) -> float:
    """sum over the keys of either side of (actual - expected) * ln(actual / expected), the
    shares floored at PSI_FLOOR."""
    total = 0.0
    for key in set(expected) | set(actual):
        e = max(expected.get(key, 0.0), PSI_FLOOR)
        a = max(actual.get(key, 0.0), PSI_FLOOR)
        total += (a - e) * math.log(a / e)
    return total


def shares(counts: Mapping[str, int | float]) -> dict[str, float]:
    """Counts as shares of their sum (empty: none)."""
    total = sum(counts.values())
    return {key: n / total for key, n in counts.items()} if total else {}


def as_bins(values: Sequence[float]) -> dict[str, float]:
    """A histogram as {bin index: value}, for psi."""
    return {str(i): v for i, v in enumerate(values)}


def confidence_histogram(confidences: Iterable[float]) -> list[float]:
    """Shares per bin of 0.1 ([k/10, (k+1)/10), 1.0 in the last)."""
    counts = [0] * CONFIDENCE_BINS
    n = 0
    for confidence in confidences:
        k = min(max(int(confidence * CONFIDENCE_BINS), 0), CONFIDENCE_BINS - 1)
        if k > 0 and confidence < k / CONFIDENCE_BINS:
            k -= 1
        elif k < CONFIDENCE_BINS - 1 and confidence >= (k + 1) / CONFIDENCE_BINS:
            k += 1
        counts[k] += 1
        n += 1
    return [c / n for c in counts] if n else [0.0] * CONFIDENCE_BINS
