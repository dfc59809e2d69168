"""Multi-label data: several 0/1 label columns, one model that gives each label its own
probability, and the split that keeps every label's share on both sides (iterative
stratification, Sechidis, Tsoumakas and Vlahavas 2011)."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

# A label applies when its probability reaches its threshold: the one chosen at fit on the
# held-out split (or set later), this for a model stored without thresholds.
DEFAULT_THRESHOLD = 0.5
# How the labels that apply are joined into one `label` / `Result`.
JOINER = ", "


@dataclass(frozen=True)
class MultiLabels:
    """The label columns' names and a (n_rows, n_labels) matrix of 0/1."""

    names: list[str]
    matrix: np.ndarray

    def __len__(self) -> int:
        return int(self.matrix.shape[0])

    def rows(self, positions: np.ndarray) -> "MultiLabels":
        return MultiLabels(self.names, self.matrix[positions])


def iterative_split(
    matrix: np.ndarray, test_size: float, random_state: int
) -> tuple[np.ndarray, np.ndarray]:
    """Train and test row positions such that each label's positives are shared out in
    proportion (`test_size`) as closely as the rows allow.

    Rows are handed out label by label, the rarest label (by positives not yet placed)
    first: each of its rows goes to the side that still wants most of that label, ties to
    the side that wants most rows, then at random. Rows with no label are shared out last
    by the wanted row counts. The result is sorted within each side, then shuffled with
    the same seed, so the partition depends only on the labels and the seed."""
    y = np.asarray(matrix, dtype=bool)
    n_rows = y.shape[0]
    rng = np.random.default_rng(random_state)
    proportions = np.array([1.0 - test_size, test_size])
    wanted_rows = proportions * n_rows
    wanted_labels = np.outer(proportions, y.sum(axis=0)).astype(float)  # (2, n_labels)
    side = np.full(n_rows, -1)
    left = y.copy()
    while left.any():
        counts = left.sum(axis=0).astype(float)
        counts[counts == 0] = np.inf
        label = int(np.argmin(counts))
        rows = np.flatnonzero(left[:, label])
        for row in rng.permutation(rows):
            want = wanted_labels[:, label]
            best = np.flatnonzero(want == want.max())
            if len(best) > 1:
                best = best[wanted_rows[best] == wanted_rows[best].max()]
            chosen = int(rng.choice(best))
            side[row] = chosen
            wanted_rows[chosen] -= 1
            wanted_labels[chosen] -= y[row]
            left[row] = False
    for row in rng.permutation(np.flatnonzero(side < 0)):
        chosen = int(np.argmax(wanted_rows))
        side[row] = chosen
        wanted_rows[chosen] -= 1
    train, test = np.flatnonzero(side == 0), np.flatnonzero(side == 1)
    return rng.permutation(train), rng.permutation(test)


def cuts_for(names: Sequence[str], cutoffs: Mapping[str, float] | None) -> np.ndarray:
    """Each label's threshold in the model's label order; DEFAULT_THRESHOLD for a label the
    thresholds do not name (or when there are none)."""
    given = cutoffs or {}
    return np.asarray([given.get(str(n), DEFAULT_THRESHOLD) for n in names], dtype=float)


def applying(
    proba_row: Sequence[float], names: Sequence[str], cuts: Sequence[float] | None = None
) -> list[str]:
    """The labels whose probability reaches their threshold, in the model's label order."""
    limits = [DEFAULT_THRESHOLD] * len(names) if cuts is None else cuts
    return [n for n, p, cut in zip(names, proba_row, limits, strict=True) if p >= cut]


def confidence(proba_row: np.ndarray, cuts: np.ndarray | None = None) -> float:
    """How sure the answer is: the highest probability among the labels that apply, or,
    when none does, the probability that the likeliest label does not apply."""
    row = np.asarray(proba_row, dtype=float)
    over = row[row >= (DEFAULT_THRESHOLD if cuts is None else cuts)]
    return float(over.max()) if len(over) else float(1.0 - row.max())
