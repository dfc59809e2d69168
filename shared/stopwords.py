"""Stop-word lists both sides use, shipped with the code (nothing downloads at run time).
English comes from scikit-learn where it is installed (backend/app/ml/stopwords.py, the
EDA); this holds the lists no installed package ships."""

from pathlib import Path

_DATA = Path(__file__).parent / "data"

# The most frequent Russian function words: pronouns, prepositions, conjunctions,
# particles and forms of "to be"; one per line.
RUSSIAN: frozenset[str] = frozenset(
    (_DATA / "stopwords_russian.txt").read_text(encoding="utf-8").split()
)
