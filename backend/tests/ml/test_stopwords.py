"""The built-in stop-word lists: the Chinese one is jieba's words, holds its negations and
leaves the words a review's sentiment turns on."""

import jieba

from app.ml.stopwords import BUILT_IN
from shared.stopwords import CHINESE, NEGATIONS, RUSSIAN


def test_every_list_holds_its_negations() -> None:
    assert set(NEGATIONS) == set(BUILT_IN)
    for name, words in NEGATIONS.items():
        assert words <= BUILT_IN[name], name


def test_the_chinese_list_is_function_words_as_jieba_cuts_them() -> None:
    assert BUILT_IN["chinese"] is CHINESE and BUILT_IN["russian"] is RUSSIAN
    assert 60 <= len(CHINESE) <= 150
    assert {"的", "了", "是", "在", "我", "也", "我们", "这个", "吗"} <= CHINESE
    # each entry is one word to jieba (a two-character entry jieba splits would never match)
    assert [w for w in sorted(CHINESE) if list(jieba.cut(w)) != [w]] == []
    # simplified script: the traditional forms are not written
    assert not {"們", "這", "個", "過", "嗎"} & {ch for w in CHINESE for ch in w}


def test_the_chinese_list_leaves_words_that_carry_sentiment() -> None:
    # intensifiers, 好 itself, contrast words, and negations glued to their verb by jieba
    kept = {"好", "很", "太", "非常", "最", "更", "挺", "特别", "但是", "可以", "不好", "不错"}
    assert not kept & CHINESE
    assert {"不", "没", "没有", "别", "无", "非", "未"} <= NEGATIONS["chinese"]
