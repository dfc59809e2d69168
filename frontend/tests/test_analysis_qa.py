"""A QA dataset read as one corpus whose parts are its classes, and the languages of a
corpus that mixes several."""

import numpy as np
import pandas as pd
import pytest

from ui.analysis import text_stats
from ui.analysis.language import (
    CHARACTER_PATTERN,
    CHINESE_WORD_PATTERN,
    ENGLISH,
    WORD_PATTERN,
    Language,
    detect_languages,
    word_splitter,
)
from ui.analysis.qa import parts_of, qa_texts
from ui.analysis.tsne import tsne_points

FRAME = pd.DataFrame(
    {
        "context": ["The cat sat.", "The cat sat.", " The cat sat. ", "A dog ran.", ""],
        "question": ["Who sat?", "Where?", "", "Who ran?", "Why?"],
        "answer": ["the cat", "", "", "a dog", "no context"],
    }
)


def test_contexts_count_once_and_empty_texts_are_left_out() -> None:
    texts = qa_texts(FRAME, "context", "question", "answer")
    by_part = texts.groupby("label")["text"].apply(list).to_dict()
    assert by_part == {
        "contexts": ["The cat sat.", "A dog ran."],
        "questions": ["Who sat?", "Where?", "Who ran?", "Why?"],
        "answers": ["the cat", "a dog", "no context"],
    }
    assert parts_of(texts) == ["contexts", "questions", "answers"]


def test_without_an_answer_column_there_are_two_parts() -> None:
    texts = qa_texts(FRAME, "context", "question", None)
    assert parts_of(texts) == ["contexts", "questions"]
    lengths = text_stats.text_lengths(texts["text"], texts["label"])
    assert lengths.groupby("label")["words"].sum().to_dict() == {"contexts": 6, "questions": 6}


ENGLISH_TEXTS = [
    "The river flows through the forest and carries water into the sea",
    "Which pigment absorbs the light in the leaves of green plants",
    "The first modern games were held in the capital of the country",
]
RUSSIAN_TEXTS = [
    "Байкал находится в Восточной Сибири и содержит много пресной воды",
    "Кто предложил периодическую систему химических элементов и когда это было",
]


def test_a_mixed_corpus_has_the_stop_words_of_every_language_it_is_written_in() -> None:
    mix = detect_languages(pd.Series(ENGLISH_TEXTS * 2 + RUSSIAN_TEXTS * 2))
    assert [lang.code for lang, _ in mix.shares] == ["en", "ru"]
    assert [round(share, 2) for _, share in mix.shares] == [0.6, 0.4]
    assert mix.main.code == "en" and mix.describe() == "English 60%, Russian 40%"
    assert mix.stop_word_lists == ["English", "Russian"]
    assert {"the", "and", "и", "это"} <= mix.stop_words
    assert mix.token_pattern == WORD_PATTERN

    table = text_stats.tokenize(
        pd.Series(ENGLISH_TEXTS + RUSSIAN_TEXTS), pd.Series(["q"] * 5), mix.stop_words
    )
    stop = set(text_stats.top_stop_words(table, k=50)["word"])
    assert {"the", "это", "кто"} <= stop  # one-letter words (и, в) are no tokens
    words = set(text_stats.top_ngrams(table, 1, k=100)["ngram"])
    assert "байкал" in words and "river" in words and not words & stop


def test_a_rare_language_adds_no_stop_words() -> None:
    mix = detect_languages(pd.Series(ENGLISH_TEXTS * 4 + RUSSIAN_TEXTS[:1]))
    assert mix.shares[-1][0].code == "ru" and mix.shares[-1][1] < 0.15
    assert mix.describe() == "English 92% (and 1 more, each under 15%)"
    assert mix.stop_words == ENGLISH and mix.stop_word_lists == ["English"]


def test_a_corpus_with_chinese_is_split_by_jieba_and_keeps_its_other_words() -> None:
    chinese = [
        "屏幕够大，视觉效果不错，物流速度太慢了，质量比我想象中的要好"
    ] * 3  # >= 20 characters
    texts = pd.Series(chinese + ENGLISH_TEXTS)
    mix = detect_languages(texts)
    assert {lang.code for lang in mix.present} == {"zh-cn", "en"}
    assert mix.token_pattern == CHINESE_WORD_PATTERN and mix.split is not None
    # the explorer's stop-word chart counts both lists' words
    assert sorted(mix.stop_word_lists) == ["Chinese", "English"]
    assert {"的", "了", "the"} <= mix.stop_words and "物流" not in mix.stop_words
    table = text_stats.tokenize(texts, pd.Series(["q"] * len(texts)), mix.stop_words,
                     token_pattern=mix.token_pattern, split=mix.split)  # fmt: skip
    vocab = set(table.vocab)
    assert {"物流", "质量", "不错", "好"} <= vocab  # words, one character or more
    assert {"的", "了"} <= set(text_stats.top_stop_words(table)["word"])
    assert "，" not in vocab and "物" not in vocab
    assert {w for w in ENGLISH_TEXTS[0].lower().split() if w.isalpha() and len(w) > 1} - (
        mix.stop_words
    ) <= vocab


def test_japanese_is_counted_by_character() -> None:
    japanese = Language("ja")
    assert japanese.counts_characters and japanese.split is None
    assert japanese.token_pattern == CHARACTER_PATTERN
    assert not Language("zh-cn").counts_characters


def test_nothing_to_detect_is_an_unknown_language() -> None:
    mix = detect_languages(pd.Series(["", "  "]))
    assert mix.main.code is None and mix.describe() == "unknown" and not mix.stop_words


def test_a_tsne_map_of_one_part_places_every_context() -> None:
    words = ["river", "lake", "ocean", "mountain", "forest", "desert", "valley", "island"]
    pairs = zip(words, words[1:] + words[:1], strict=True)
    contexts = pd.Series([f"the {w} and the {v}" for w, v in pairs])
    points = tsne_points(contexts, pd.Series("contexts", index=contexts.index), max_rows=100)
    assert len(points) == 8 and set(points["label"]) == {"contexts"}
    assert points[["x", "y"]].notna().all().all()


@pytest.mark.filterwarnings("error::RuntimeWarning")  # said in words, not warned
def test_contexts_alike_to_tf_idf_are_refused_not_a_crash() -> None:
    # one-letter words and digits are no TF-IDF terms: every vector is the same
    contexts = pd.Series([f"{w} river water sea {i}" for i, w in enumerate("abcdefgh")])
    with pytest.raises(ValueError, match="same TF-IDF vector"):
        tsne_points(contexts, pd.Series("contexts", index=contexts.index), max_rows=100)


def test_a_map_of_chinese_texts_is_made_of_their_jieba_words() -> None:
    """Without jieba, scikit-learn's word pattern takes each phrase between punctuation for
    one word: texts that share no whole phrase get empty or lone vectors."""
    phrases = ["物流速度太慢了", "质量比我想象中的要好", "屏幕够大", "服务员也很冷漠", "房间太小了"]
    texts = pd.Series([f"{a}，{b}" for a in phrases for b in phrases if a != b] * 2)
    labels = pd.Series(["a", "b"] * (len(texts) // 2))
    zh = Language("zh-cn")
    words = word_splitter(zh.split, zh.token_pattern)
    assert words is not None and words("物流速度太慢了，质量好") == [
        "物流",
        "速度",
        "太慢",
        "了",
        "质量",
        "好",
    ]
    points = tsne_points(texts, labels, max_rows=100, words=words)
    assert len(points) == len(texts) and np.isfinite(points[["x", "y"]].to_numpy()).all()
    assert word_splitter(None, WORD_PATTERN) is None  # other languages: the vectorizer's own
