"""Explanation by occlusion, for models without a readable linear form (Keras): remove a
word, or a run of words, and see how much the label's probability drops.

The cost is bounded: one batched model call on at most MAX_OCCLUSIONS + 1 texts, whatever
the text's length. A text with more words than MAX_OCCLUSIONS is cut into MAX_OCCLUSIONS
runs of consecutive words, each removed as one, so a long text gets coarser terms rather
than a slower answer.
"""

import math
import re

from app.ml.bundle import TrainedModel
from app.ml.labels import Label
from app.ml.text_offsets import MappedText
from shared.schemas.explanations import Explanation, TermWeight

MAX_OCCLUSIONS = 64
_WORD = re.compile(r"\w+", re.UNICODE)


def _runs(n_words: int) -> list[tuple[int, int]]:
    """[first, last) word positions of each occluded run: single words when they fit."""
    size = max(1, math.ceil(n_words / MAX_OCCLUSIONS))
    return [(i, min(i + size, n_words)) for i in range(0, n_words, size)]


def explain_by_occlusion(
    model: TrainedModel,
    mapped: MappedText,
    original: str,
    class_index: int,
    label: Label,
    top: int,
) -> Explanation:
    text = mapped.text
    words = [m.span() for m in _WORD.finditer(text)]
    runs = _runs(len(words))
    variants = [text]
    for first, last in runs:
        start, end = words[first][0], words[last - 1][1]
        variants.append(f"{text[:start]} {text[end:]}".strip())
    proba = model.predict_proba_cleaned(variants)[:, class_index]
    items = []
    for (first, last), without in zip(runs, proba[1:], strict=True):
        start, end = words[first][0], words[last - 1][1]
        weight = float(proba[0] - without)
        if weight == 0.0:
            continue
        span = mapped.span(start, end) if mapped.exact else None
        term = text[start:end]
        items.append(TermWeight(term=term, weight=round(weight, 6), spans=[span] if span else []))
    towards = sorted((t for t in items if t.weight > 0), key=lambda t: -t.weight)[:top]
    away = sorted((t for t in items if t.weight < 0), key=lambda t: t.weight)[:top]
    note = None
    if len(runs) < len(words):
        note = (
            f"{len(words)} words: occluded in {len(runs)} runs of up to "
            f"{runs[0][1] - runs[0][0]} words (at most {MAX_OCCLUSIONS} model inputs)"
        )
    return Explanation(
        label=label,
        method="occlusion",
        towards=towards,
        away=away,
        exact_spans=mapped.exact,
        note=note,
    )
