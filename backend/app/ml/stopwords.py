"""Built-in stop-word lists, shipped with the code (nothing downloads at run time)."""

from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

from shared.stopwords import CHINESE, RUSSIAN

ENGLISH: frozenset[str] = frozenset(ENGLISH_STOP_WORDS)

# "chinese" holds jieba's words: it removes them from text the jieba tokenizer split
BUILT_IN: dict[str, frozenset[str]] = {
    "english": ENGLISH,
    "russian": RUSSIAN,
    "chinese": CHINESE,
}
