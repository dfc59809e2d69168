"""The fixed bins of the prediction summary's histograms (revision 0012), shared by the
log's writer and the statistics.

Confidence: 100 bins of 0.01, bin k holding [k/100, (k+1)/100), and one more for 1.0. A
share under a threshold that is a multiple of 0.01 is the sum of the bins under it: exact.

Latency: log-spaced, 10 bins a decade from 0.01 ms to 100 s (edges 0.01 * 10^(i/10) ms),
one bin under 0.01 ms and one from 100 s up. A percentile read from the histogram takes
each value's bin's geometric middle, so it is within a factor 10^(1/20) of the value at
that rank: at most 12.2 % over or 10.9 % under (LATENCY_RELATIVE_ERROR); ten bins a
decade, not twenty, because the statistics' cost is one SUM per column read; under 0.01 ms the
estimate is 0.01 ms, from 100 s up it is 100 s.
"""

from bisect import bisect_right

CONFIDENCE_BINS = 100
LATENCY_PER_DECADE = 10
LATENCY_FIRST_MS = 0.01
LATENCY_DECADES = 7
# the migration writes this list the same way (its backfill must bin alike)
LATENCY_EDGES = [
    LATENCY_FIRST_MS * 10 ** (i / LATENCY_PER_DECADE)
    for i in range(LATENCY_PER_DECADE * LATENCY_DECADES + 1)
]
LATENCY_BINS = len(LATENCY_EDGES) + 1
LATENCY_RELATIVE_ERROR = 10 ** (1 / (2 * LATENCY_PER_DECADE)) - 1

# the last column holds the confidences of 1.0
CONFIDENCE_COLUMNS = [f"conf_{k:03d}" for k in range(CONFIDENCE_BINS + 1)]
LATENCY_COLUMNS = [f"lat_{i:03d}" for i in range(LATENCY_BINS)]


def confidence_bin(confidence: float) -> int:
    """The k with k/100 <= confidence < (k+1)/100, compared as the floats k/100 (what a
    threshold of 0.57 is), not by rounding confidence * 100; 100 from 1.0 up."""
    k = min(max(int(confidence * CONFIDENCE_BINS), 0), CONFIDENCE_BINS)
    if k > 0 and confidence < k / CONFIDENCE_BINS:
        return k - 1
    if k < CONFIDENCE_BINS and confidence >= (k + 1) / CONFIDENCE_BINS:
        return k + 1
    return k


def share_is_exact(threshold: float) -> bool:
    """Whether the share under `threshold` is exact: it is a bin's edge (or above 1)."""
    return threshold > 1.0 or threshold == confidence_bin(threshold) / CONFIDENCE_BINS


def latency_bin(latency_ms: float) -> int:
    """0 under the first edge, i for [edge i-1, edge i), the last from the last edge up."""
    return bisect_right(LATENCY_EDGES, latency_ms)


def latency_estimate(index: int) -> float:
    """A bin's value: its geometric middle (the first and last bins: their edge)."""
    if index == 0:
        return LATENCY_EDGES[0]
    if index >= len(LATENCY_EDGES):
        return LATENCY_EDGES[-1]
    return (LATENCY_EDGES[index - 1] * LATENCY_EDGES[index]) ** 0.5


def threshold_groups(threshold: float) -> list[list[str]]:
    """The confidence columns the share under `threshold` needs, summed in two groups:
    the bins under the one holding it, and that bin."""
    k = confidence_bin(threshold)
    return [CONFIDENCE_COLUMNS[:k], [CONFIDENCE_COLUMNS[k]]]


# the histogram in bins of 0.1 (1.0 in the last), for drift
COARSE_CONFIDENCE_GROUPS = [
    CONFIDENCE_COLUMNS[k * 10 : (k + 1) * 10] for k in range(CONFIDENCE_BINS // 10 - 1)
] + [CONFIDENCE_COLUMNS[CONFIDENCE_BINS - 10 :]]


def share_from(under: int, in_bin: int, count: int, threshold: float) -> float:
    """The share of confidences under `threshold`, from the counts threshold_groups sums:
    exact when it is a multiple of 0.01; otherwise the bin holding it counts in proportion
    to where the threshold falls in it (confidences taken as even within a bin; the error
    is at most that bin's share)."""
    if count == 0:
        return 0.0
    k = confidence_bin(threshold)
    share = float(under)
    fraction = min((threshold - k / CONFIDENCE_BINS) * CONFIDENCE_BINS, 1.0)
    if fraction > 0 and k < CONFIDENCE_BINS:
        share += in_bin * fraction
    elif threshold > 1.0:
        share += in_bin
    return share / count


def share_under(histogram: list[int], count: int, threshold: float) -> float:
    """share_from over a whole histogram (one count per confidence column)."""
    k = confidence_bin(threshold)
    return share_from(sum(histogram[:k]), histogram[k], count, threshold)


def latency_percentile(histogram: list[int], p: int) -> float:
    """percentile_cont's p (in hundredths) from the histogram: the values at 0-based ranks
    floor(p(n-1)) and the next, each its bin's estimate, interpolated."""
    n = sum(histogram)
    below, rest = divmod((n - 1) * p, 100)
    low = _value_at(histogram, below)
    high = _value_at(histogram, min(below + 1, n - 1))
    return low + (high - low) * rest / 100


def _value_at(histogram: list[int], rank: int) -> float:
    seen = 0
    for index, count in enumerate(histogram):
        seen += count
        if seen > rank:
            return latency_estimate(index)
    raise ValueError(f"rank {rank} is beyond the histogram's {seen} values")
