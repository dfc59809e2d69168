"""Parts of speech per class, from the Brill tagger that TextBlob ships with its lexicon.

TextBlob's `PatternTagger` needs no download: its English lexicon, context rules and
morphology files are inside the wheel (unlike NLTK's taggers, which fetch their model).
"""

from collections import Counter
from collections.abc import Callable

import pandas as pd

from ui.analysis.text_stats import sort_labels

MAX_CHARS = 1000  # tag the start of very long texts only: the shares barely change

# Penn Treebank tags -> coarse classes a reader knows.
_PREFIXES: list[tuple[str, str]] = [
    ("NN", "noun"),
    ("VB", "verb"),
    ("MD", "verb"),
    ("JJ", "adjective"),
    ("RB", "adverb"),
    ("PRP", "pronoun"),
    ("WP", "pronoun"),
    ("EX", "pronoun"),
    ("DT", "determiner"),
    ("PDT", "determiner"),
    ("WDT", "determiner"),
    ("IN", "preposition"),
    ("CC", "conjunction"),
    ("CD", "numeral"),
    ("UH", "interjection"),
    ("TO", "particle"),
    ("RP", "particle"),
    ("POS", "particle"),
    ("WRB", "adverb"),
    ("FW", "other"),
    ("SYM", "symbol"),
]
_PUNCTUATION = {".", ",", ":", "(", ")", '"', "''", "``", "#", "$", "-", "--"}


class TaggerUnavailableError(RuntimeError):
    """The tagger's package is not installed."""


def coarse_tag(penn: str) -> str:
    if penn in _PUNCTUATION or not penn[:1].isalpha():
        return "punctuation"
    for prefix, name in _PREFIXES:
        if penn.startswith(prefix):
            return name
    return "other"


def load_tagger() -> Callable[[str], list[tuple[str, str]]]:
    """`text -> [(token, penn_tag), ...]`; raises TaggerUnavailableError without TextBlob."""
    try:
        from textblob.en import tag
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise TaggerUnavailableError(
            "the part-of-speech tagger needs the 'textblob' package, which is not installed"
        ) from exc
    return tag


def pos_counts(
    texts: pd.Series,
    labels: pd.Series,
    *,
    sample_rows: int = 2000,
    seed: int = 42,
    tagger: Callable[[str], list[tuple[str, str]]] | None = None,
) -> pd.DataFrame:
    """Token counts per class and part of speech on a random sample of texts.

    Columns: label, pos, count, share (of that class's tokens).
    """
    tag = tagger or load_tagger()
    frame = pd.DataFrame({"text": texts.fillna("").astype(str), "label": labels.astype(str)})
    if len(frame) > sample_rows:
        frame = frame.sample(n=sample_rows, random_state=seed)
    counts: dict[str, Counter[str]] = {label: Counter() for label in frame["label"].unique()}
    for text, label in zip(frame["text"], frame["label"], strict=True):
        counts[label].update(coarse_tag(penn) for _, penn in tag(text[:MAX_CHARS]))
    rows = [
        {"label": label, "pos": pos, "count": count}
        for label in sort_labels(counts)
        for pos, count in counts[label].most_common()
    ]
    result = pd.DataFrame(rows, columns=["label", "pos", "count"])
    totals = result.groupby("label")["count"].transform("sum")
    result["share"] = (result["count"] / totals).round(4)
    return result
