"""A fit's preprocessing report in words: the detected language and how it split texts,
and how much of a continuation's new rows its vocabulary knew."""

from streamlit.testing.v1 import AppTest

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


def _known_words(share: float) -> AppTest:
    def script(share: float) -> None:
        from ui.components.preprocessing_report import known_words

        known_words(share)

    return AppTest.from_function(script, kwargs={"share": share}).run()


def test_a_continuation_that_knew_few_of_its_new_words_is_warned_about() -> None:
    low = _known_words(0.04)
    assert len(low.warning) == 1
    assert "4% of their words were known" in low.warning[0].value
    assert "retrain on these rows" in low.warning[0].value
    high = _known_words(0.93)
    assert not high.warning and "93% of their words were known" in high.markdown[0].value


def test_a_continuation_says_which_rows_it_was_not_scored_on() -> None:
    def script() -> None:
        from ui.components.preprocessing_report import seen_by_parent

        seen_by_parent(12, 68)
        seen_by_parent(1, None)
        seen_by_parent(3, 40, imported=True)

    app = AppTest.from_function(script).run()
    many, one, imported = (m.value for m in app.markdown)
    assert "had trained on (in the installation it was imported from); they were" in imported
    assert "installation" not in many
    assert (
        "12 rows of the new data" in many
        and "made on the 68 held-out rows it had not seen." in many
    )
    assert "1 row of the new data that would have been held out was a text" in one
