"""Stop-word lists both sides use, shipped with the code (nothing downloads at run time).
English comes from scikit-learn where it is installed (backend/app/ml/stopwords.py, the
EDA); this holds the lists no installed package ships: Russian and Chinese."""

from pathlib import Path

_DATA = Path(__file__).parent / "data"

# The most frequent Russian function words: pronouns, prepositions, conjunctions,
# particles and forms of "to be"; one per line.
RUSSIAN: frozenset[str] = frozenset(
    (_DATA / "stopwords_russian.txt").read_text(encoding="utf-8").split()
)

# The most frequent Mandarin function words, in the simplified script and as jieba cuts
# them (我们 and 这个 are one word to it): particles (的 了 吗), pronouns, demonstratives,
# 是 有 在, prepositions and conjunctions, measure words; one per line. It applies to text
# split into words, i.e. by jieba: unsegmented Chinese has no spaces to find them by.
# Left out on purpose, as they carry a review's sentiment: degree adverbs and intensifiers
# (很 太 非常 比较 最 更 挺 特别 真 有点: "很好" and "太差" turn on them, and a model that
# drops them cannot tell "好" from "太好"), 好 itself, contrast words (但 但是 可是 不过 却,
# which mark where a review turns to its complaint), the modal 可以 ("还可以": it is
# fine) and 怎么 / 为什么 (mostly in complaints: "怎么这么慢").
CHINESE: frozenset[str] = frozenset(
    (_DATA / "stopwords_chinese.txt").read_text(encoding="utf-8").split()
)

# Negations in those lists: they turn a text's meaning ("не рекомендую", "not good", "不好"), so a
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
    "chinese": frozenset(
        ["不", "没", "没有", "别", "无", "非", "未", "不是", "不要", "不会", "不能", "不用"]
    ),
}
