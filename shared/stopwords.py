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

# Negations in those lists: they turn a text's meaning ("не рекомендую", "not good"), so a
# model keeps them unless its preprocessing says otherwise (`keep_negations`).
NEGATIONS: dict[str, frozenset[str]] = {
    "english": frozenset(
        [
            "not",
            "no",
            "nor",
            "never",
            "none",
            "nothing",
            "nobody",
            "noone",
            "nowhere",
            "neither",
            "cannot",
            "cant",
            "without",
        ]
    ),
    "russian": frozenset(["не", "нет", "ни", "никогда", "без"]),
}
