"""Ranking quality: top-1, top-5 and MRR@10 from where each right context came."""

from collections.abc import Sequence

import numpy as np


def rank_of(expected: int | None, found: Sequence[int]) -> int | None:
    """1-based rank of the expected context among those found, None when absent."""
    if expected is None:
        return None
    for rank, position in enumerate(found, 1):
        if position == expected:
            return rank
    return None


def ranking_metrics(ranks: Sequence[int | None]) -> dict[str, float]:
    if not ranks:
        return {"top1": 0.0, "top5": 0.0, "mrr10": 0.0}
    r = np.array([0 if x is None else x for x in ranks])
    found = r > 0
    return {
        "top1": float(np.mean(r == 1)),
        "top5": float(np.mean(found & (r <= 5))),
        "mrr10": float(np.mean(np.where(found & (r <= 10), 1.0 / np.maximum(r, 1), 0.0))),
    }


def latency_stats(latencies_ms: Sequence[float]) -> dict[str, float]:
    a = np.asarray(latencies_ms, dtype=float)
    return {
        "n": int(a.size),
        "mean_ms": float(a.mean()),
        "p50_ms": float(np.percentile(a, 50)),
        "p95_ms": float(np.percentile(a, 95)),
        "p99_ms": float(np.percentile(a, 99)),
        "max_ms": float(a.max()),
    }
