"""A fit's preprocessing report in words: the detected language and how it split texts."""

from shared.schemas.language import LanguageChoice
from ui.components.preprocessing_report import language_line


def test_the_detected_language_is_said_in_words() -> None:
    english = LanguageChoice(
        detected="other", script_share=1.0, tokenizer="regex", analyzer="word",
        ngram_range=(1, 2), reason="not Chinese: the word pattern",
    )  # fmt: skip
    line = language_line(english)
    assert "not Chinese or Russian (100% of the letters are Latin or of another alphabet)" in line
    assert "split into words between spaces and punctuation" in line
    assert "`other`" not in line and "word pattern" not in line
    chinese = english.model_copy(
        update={"detected": "zh", "script_share": 0.976, "analyzer": "char", "ngram_range": (1, 3)}
    )
    assert "Chinese (98% of the letters are Chinese characters)" in language_line(chinese)
    assert "character 1-3-grams" in language_line(chinese)
    jieba = chinese.model_copy(update={"tokenizer": "jieba", "analyzer": None})
    assert "words segmented by jieba" in language_line(jieba)
