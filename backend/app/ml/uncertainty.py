"""How unsure a model is of a text, from its class probabilities: the scores that rank
hard examples (active learning's uncertainty sampling). Pure numpy."""

import numpy as np

STRATEGIES = ("least_confidence", "margin", "entropy")


def uncertainty(proba: np.ndarray, strategy: str) -> np.ndarray:
    """One score per row of `proba` (n_texts, n_classes): least_confidence 1 - max p,
    margin p1 - p2 (the two most probable classes; one class: 1), entropy -sum p ln p."""
    proba = np.asarray(proba, dtype=np.float64)
    if proba.ndim != 2:
        raise ValueError(f"probabilities must be a matrix, not of shape {proba.shape}")
    if proba.shape[0] == 0:
        return np.zeros(0)
    if strategy == "least_confidence":
        return 1.0 - proba.max(axis=1)
    if strategy == "margin":
        if proba.shape[1] < 2:
            return np.ones(proba.shape[0])
        top = np.sort(proba, axis=1)[:, -2:]
        return top[:, 1] - top[:, 0]
    if strategy == "entropy":
        safe = np.clip(proba, 1e-12, 1.0)
        return -(np.where(proba > 0, proba * np.log(safe), 0.0)).sum(axis=1)
    raise ValueError(f"unknown strategy {strategy!r}; one of {', '.join(STRATEGIES)}")


def hardest_first(scores: np.ndarray, strategy: str) -> np.ndarray:
    """The positions of `scores`, hardest first (margin: smallest first; the others:
    largest first); ties keep their order (a stable sort), so the caller's order (newest
    first) breaks them."""
    keys = scores if strategy == "margin" else -scores
    return np.argsort(keys, kind="stable")
