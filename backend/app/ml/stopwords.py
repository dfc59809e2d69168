"""Built-in stop-word lists, shipped with the code (nothing downloads at run time)."""

from pathlib import Path

from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

_DATA = Path(__file__).parent / "data"

ENGLISH: frozenset[str] = frozenset(ENGLISH_STOP_WORDS)
# The most frequent Russian function words: pronouns, prepositions, conjunctions,
# particles and forms of "to be"; one per line.
RUSSIAN: frozenset[str] = frozenset(
    (_DATA / "stopwords_russian.txt").read_text(encoding="utf-8").split()
)

BUILT_IN: dict[str, frozenset[str]] = {"english": ENGLISH, "russian": RUSSIAN}
