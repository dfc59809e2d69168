"""How unsure a model is of a text, from its class probabilities: the scores that rank
hard examples (active learning's uncertainty sampling). Pure numpy."""

import numpy as np

STRATEGIES = ("least_confidence", "margin", "entropy")
# a cutoff is kept this far inside (0, 1), so that one of 0 or 1 moves nothing to infinity
_CUT_EDGE = 1e-12


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


def centred_on_threshold(proba: np.ndarray, cut: float | None) -> np.ndarray:
    """A binary model's probabilities (n_texts, 2; column 1 its positive class, as
    `thresholds.decide_binary` reads them) moved so that its cutoff `cut` on the positive
    class lands on 0.5: logit(p') = logit(p) - logit(cut), that is
    p' = p (1 - cut) / (p (1 - cut) + (1 - p) cut), and the other class 1 - p'. The cutoff
    is clipped into (0, 1) (1e-12 from each end), so p = 0 and p = 1 stay where they are and
    nothing is infinite. `cut` None (no threshold): `proba` unchanged.

    Why: the strategies measure how far a text is from an even split, which for two classes
    is p = 0.5; a model with a threshold decides at p = cut, so that is where it is
    undecided. The move is increasing in p and maps cut to 0.5, so each text keeps its side
    of the threshold; and for two classes least confidence (min(p', 1 - p')), margin
    (|2p' - 1|) and entropy all depend only on |p' - 0.5|, which grows with
    |logit(p')| = |logit(p) - logit(cut)|. All three then rank by the distance to the
    threshold on the logit scale (at cut = 0.5, by the distance to 0.5 as before)."""
    proba = np.asarray(proba, dtype=np.float64)
    if cut is None:
        return proba
    if proba.ndim != 2 or proba.shape[1] != 2:
        raise ValueError(f"a threshold moves two-class probabilities, not shape {proba.shape}")
    t = min(max(float(cut), _CUT_EDGE), 1.0 - _CUT_EDGE)
    p = np.clip(proba[:, 1], 0.0, 1.0)
    above = p * (1.0 - t)
    moved = above / (above + (1.0 - p) * t)
    return np.column_stack([1.0 - moved, moved])
