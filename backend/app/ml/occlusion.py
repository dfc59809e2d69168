"""Explanation by occlusion, for models without a readable linear form (Keras): remove a
word (every occurrence of it at once), or a run of words, and see how much the label's
probability drops.

The cost is bounded: one batched model call on at most MAX_OCCLUSIONS + 1 texts, whatever
the text's length. A word is removed wherever it occurs, so each word is one term with all
its spans (occurrences weighed one by one could land on both sides). A text with more
distinct words than MAX_OCCLUSIONS is cut into MAX_OCCLUSIONS runs of consecutive words,
each removed as one, so a long text gets coarser terms rather than a slower answer.
"""

import math
import re

from app.ml.bundle import TrainedModel
from app.ml.labels import Label
from app.ml.text_offsets import MappedText
from shared.schemas.explanations import Explanation, TermWeight

MAX_OCCLUSIONS = 64
_WORD = re.compile(r"\w+", re.UNICODE)

Span = tuple[int, int]


def _runs(n_words: int) -> list[tuple[int, int]]:
    """[first, last) word positions of each occluded run: single words when they fit."""
    size = max(1, math.ceil(n_words / MAX_OCCLUSIONS))
    return [(i, min(i + size, n_words)) for i in range(0, n_words, size)]


def _units(text: str, words: list[Span]) -> tuple[list[tuple[str, list[Span]]], str | None]:
    """What is occluded, each as (term, its spans in `text`): every distinct word with all
    its occurrences when they fit, else runs of consecutive words; and the note that says
    so for runs."""
    by_word: dict[str, list[Span]] = {}
    for start, end in words:
        by_word.setdefault(text[start:end], []).append((start, end))
    if len(by_word) <= MAX_OCCLUSIONS:
        return list(by_word.items()), None
    runs = _runs(len(words))
    units = []
    for first, last in runs:
        start, end = words[first][0], words[last - 1][1]
        units.append((text[start:end], [(start, end)]))
    note = (
        f"{len(by_word)} distinct words: occluded in {len(runs)} runs of up to "
        f"{runs[0][1] - runs[0][0]} words (at most {MAX_OCCLUSIONS} model inputs)"
    )
    return units, note


def _without(text: str, spans: list[Span]) -> str:
    """`text` with each span replaced by a space."""
    for start, end in sorted(spans, reverse=True):
        text = f"{text[:start]} {text[end:]}"
    return text.strip()


def explain_by_occlusion(
    model: TrainedModel,
    mapped: MappedText,
    original: str,
    class_index: int,
    label: Label,
    top: int,
) -> Explanation:
    text = mapped.text
    units, note = _units(text, [m.span() for m in _WORD.finditer(text)])
    variants = [text, *(_without(text, spans) for _, spans in units)]
    proba = model.predict_proba_cleaned(variants)[:, class_index]
    items = []
    for (term, spans), without in zip(units, proba[1:], strict=True):
        weight = float(proba[0] - without)
        if weight == 0.0:
            continue
        found = [mapped.span(start, end) for start, end in spans] if mapped.exact else []
        items.append(TermWeight(term=term, weight=round(weight, 6), spans=[s for s in found if s]))
    towards = sorted((t for t in items if t.weight > 0), key=lambda t: -t.weight)[:top]
    away = sorted((t for t in items if t.weight < 0), key=lambda t: t.weight)[:top]
    return Explanation(
        label=label,
        method="occlusion",
        towards=towards,
        away=away,
        exact_spans=mapped.exact,
        note=note,
    )
