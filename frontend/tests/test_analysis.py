"""The EDA computations, on small frames whose answers are known."""

from pathlib import Path

import langdetect
import numpy as np
import pandas as pd
import pytest
from wordcloud import WordCloud

from testkit.bad_files import BAD_FILES
from ui.analysis import csv_check, evaluation, fonts, pos, text_stats, tsne, wordclouds
from ui.analysis.language import Language, detect_language

TEXTS = pd.Series(
    [
        "The cat sat on the mat. The cat!",
        "You are a stupid stupid idiot",
        "the dog and the cat",
        "idiot idiot, stupid idiot",
        "",
    ]
)
LABELS = pd.Series([0, 1, 0, 1, 0]).astype(str)


@pytest.fixture
def table() -> text_stats.TokenTable:
    return text_stats.tokenize(TEXTS, LABELS)


def test_lengths_and_class_balance() -> None:
    lengths = text_stats.text_lengths(TEXTS, LABELS)
    assert lengths["chars"].tolist() == [len(t) for t in TEXTS]
    assert lengths["words"].tolist() == [8, 6, 5, 4, 0]
    balance = text_stats.class_balance(LABELS)
    assert balance.to_dict("list") == {"label": ["0", "1"], "count": [3, 2], "share": [0.6, 0.4]}
    summary = text_stats.length_summary(lengths)
    assert list(summary.index) == ["0", "1"]
    assert summary.loc["1", "words median"] == 5.0


def test_tokens_are_lowercase_words_of_two_letters_or_more_and_one_letter_stop_words(
    table: text_stats.TokenTable,
) -> None:
    tokens = set(table.vocab)
    assert {"the", "cat", "stupid", "idiot"} <= tokens
    assert "The" not in tokens
    # "a" is a stop word, among the most frequent words of all: counted as one
    assert "a" in tokens and table.stop[list(table.vocab).index("a")]
    # a letter alone that is no stop word is no word ("x", the "b" of "b)")
    other = text_stats.tokenize(pd.Series(["plan b) or x y"]), pd.Series(["1"]))
    assert list(other.vocab) == ["plan", "or"]


def test_one_letter_russian_stop_words_are_counted() -> None:
    """«в», «и», «с» are the most frequent Russian words: the stop-word chart shows them."""
    texts = pd.Series(["Он живёт в Москве и работает с утра", "В доме и в саду"])
    table = text_stats.tokenize(texts, pd.Series(["1", "1"]), Language("ru").stop_words)
    stop = text_stats.top_stop_words(table, k=5)
    assert stop["word"].tolist()[0] == "в" and {"и", "с"} <= set(stop["word"])


def test_contractions_stay_whole_and_are_stop_words() -> None:
    table = text_stats.tokenize(pd.Series(["I don’t know, you're a fool"]), pd.Series(["1"]))
    assert list(table.vocab) == ["i", "don't", "know", "you're", "a", "fool"]
    kept = text_stats.top_ngrams(table, 1, include_stop_words=False)
    assert set(kept["ngram"]) == {"know", "fool"}


def test_unigrams_with_and_without_stop_words(table: text_stats.TokenTable) -> None:
    with_stop = text_stats.top_ngrams(table, 1, include_stop_words=True, k=2)
    assert with_stop[with_stop["label"] == "0"].values.tolist() == [
        ["0", "the", 5],
        ["0", "cat", 3],
    ]
    without = text_stats.top_ngrams(table, 1, include_stop_words=False, k=3)
    class1 = without[without["label"] == "1"]
    assert class1.values.tolist() == [["1", "idiot", 4], ["1", "stupid", 3]]
    assert "the" not in set(without["ngram"])


def test_ngrams_never_cross_texts_and_skip_stop_words(table: text_stats.TokenTable) -> None:
    bigrams = text_stats.top_ngrams(table, 2, include_stop_words=True, k=50)
    assert "cat you" not in set(bigrams["ngram"])  # end of text 1 + start of text 2
    counts = dict(zip(bigrams["ngram"], bigrams["count"], strict=True))
    assert counts["the cat"] == 3
    assert counts["stupid idiot"] == 2
    clean = text_stats.top_ngrams(table, 2, include_stop_words=False, k=50)
    # n-grams of adjacent words only: "sat on the mat" gives no "sat mat"
    assert set(clean["ngram"]) == {"cat sat", "stupid stupid", "stupid idiot", "idiot idiot",
                                   "idiot stupid"}  # fmt: skip
    trigrams = text_stats.top_ngrams(table, 3, include_stop_words=True, k=50)
    assert "you are a" in set(trigrams["ngram"])
    with pytest.raises(ValueError):
        text_stats.top_ngrams(table, 4)


def test_stop_words_and_word_frequencies(table: text_stats.TokenTable) -> None:
    stop = text_stats.top_stop_words(table, k=1)
    assert stop.values.tolist() == [["0", "the", 5], ["1", "you", 1]]
    assert text_stats.word_frequencies(table, "1") == {"idiot": 4, "stupid": 3}


def test_labels_sort_naturally() -> None:
    assert text_stats.sort_labels(["10", "2", "1"]) == ["1", "2", "10"]
    assert text_stats.sort_labels(["b", "a", "10"]) == ["10", "a", "b"]


def test_parts_of_speech_per_class() -> None:
    counts = pos.pos_counts(TEXTS, LABELS)
    assert set(counts["label"]) == {"0", "1"}
    shares = counts.groupby("label")["share"].sum()
    assert np.allclose(shares, 1.0, atol=1e-3)
    class0 = counts[counts["label"] == "0"].set_index("pos")["count"]
    assert class0["noun"] >= 4  # cat, mat, cat, dog, cat
    assert class0["determiner"] >= 4  # "the", five times
    assert pos.coarse_tag("VBD") == "verb" and pos.coarse_tag(".") == "punctuation"


def test_pos_with_a_stub_tagger_samples_rows() -> None:
    seen: list[str] = []

    def tagger(text: str) -> list[tuple[str, str]]:
        seen.append(text)
        return [(w, "NN") for w in text.split()]

    texts = pd.Series([f"word {i}" for i in range(50)])
    counts = pos.pos_counts(texts, pd.Series(["a"] * 50), sample_rows=10, tagger=tagger)
    assert len(seen) == 10
    assert counts.values.tolist() == [["a", "noun", 20, 1.0]]


def test_word_cloud_is_an_image() -> None:
    image = wordclouds.word_cloud({"idiot": 4, "stupid": 3})
    assert image is not None and image.shape == (wordclouds.HEIGHT, wordclouds.WIDTH, 3)
    assert wordclouds.word_cloud({}) is None


def test_chinese_words_are_drawn_with_a_font_that_has_them() -> None:
    font = fonts.wide_font()
    if font is None:
        pytest.skip(f"no font with Chinese characters here ({fonts.INSTALL_HINT})")
    words = {"质量": 5, "很好": 4, "物流": 3}
    image = wordclouds.word_cloud(words)
    assert image is not None and image.shape == (wordclouds.HEIGHT, wordclouds.WIDTH, 3)
    # the library's own font draws the same layout's characters as empty boxes
    boxes = WordCloud(
        width=wordclouds.WIDTH, height=wordclouds.HEIGHT, background_color="white",
        max_words=150, random_state=42, collocations=False,
    ).generate_from_frequencies(words).to_array()  # fmt: skip
    assert (image != boxes).any()


def test_without_such_a_font_chinese_words_are_not_drawn(tmp_path: Path) -> None:
    nowhere = (str(tmp_path),)  # a font folder with no font in it
    assert fonts.wide_font(nowhere) is None
    with pytest.raises(wordclouds.NoFontError):
        wordclouds.word_cloud({"质量": 5, "good": 3}, font_folders=nowhere)
    assert wordclouds.word_cloud({"idiot": 4}, font_folders=nowhere) is not None  # no need


def test_tsne_samples_keep_every_class() -> None:
    labels = pd.Series(["a"] * 990 + ["b"] * 10)
    rows = tsne.sample_rows(labels, max_rows=100, seed=1)
    assert len(rows) <= 100
    assert set(labels.iloc[rows]) == {"a", "b"}
    assert (labels.iloc[rows] == "b").sum() == 10
    assert tsne.class_quotas({"a": 5000, "b": 3000, "c": 2}, 1000) == {"a": 624, "b": 374, "c": 2}


def test_tsne_points() -> None:
    rng = np.random.default_rng(0)
    words = ["good", "great", "fine", "bad", "awful", "idiot", "nice", "ugly"]
    texts = pd.Series([" ".join(rng.choice(words, 6)) for _ in range(60)])
    labels = pd.Series(["0", "1"] * 30)
    points = tsne.tsne_points(texts, labels, max_rows=40)
    assert list(points.columns) == ["x", "y", "label", "text"]
    assert len(points) == 40
    assert np.isfinite(points[["x", "y"]].to_numpy()).all()
    with pytest.raises(ValueError):
        tsne.tsne_points(texts[:3], labels[:3])


def test_precision_recall_and_the_best_model() -> None:
    labels = [0, 0, 1, 1, 1, 0]
    perfect = evaluation.model_curves("perfect", labels, [0.1, 0.2, 0.9, 0.8, 0.7, 0.3], 1,
                                      roc_auc=1.0)  # fmt: skip
    assert perfect.average_precision == pytest.approx(1.0)
    assert perfect.best_f1 == pytest.approx(1.0)
    assert perfect.best_threshold == pytest.approx(0.7)
    worse = evaluation.model_curves("worse", labels, [0.9, 0.2, 0.1, 0.8, 0.7, 0.3], 1,
                                    roc_auc=0.55)  # fmt: skip
    table = evaluation.comparison_table([worse, perfect])
    assert table["model"].tolist() == ["perfect", "worse"]
    assert table[""].tolist() == [evaluation.BEST_MARK, ""]
    # the same scores under another name (a version with other thresholds): both are best
    twin = evaluation.model_curves("twin", labels, [0.1, 0.2, 0.9, 0.8, 0.7, 0.3], 1,
                                   roc_auc=1.0)  # fmt: skip
    table = evaluation.comparison_table([worse, twin, perfect])
    assert table["model"].tolist() == ["twin", "perfect", "worse"]
    assert table[""].tolist() == [evaluation.BEST_MARK, evaluation.BEST_MARK, ""]
    assert evaluation.base_rate(labels, "1") == 0.5
    one_class = evaluation.model_curves("x", [0, 0], [0.1, 0.2], 1)
    assert one_class.average_precision is None


def test_curves_are_thinned() -> None:
    a = np.linspace(0, 1, 10_000)
    (thinned,) = evaluation.thin(a)
    assert len(thinned) == evaluation.MAX_CURVE_POINTS
    assert thinned[0] == 0 and thinned[-1] == 1


def test_the_language_of_texts_is_detected_and_sets_how_words_are_split() -> None:
    english = pd.Series(["this film was really good and I liked it a lot"] * 30)
    russian = pd.Series(["это очень хороший фильм и мне он понравился"] * 30)
    chinese = pd.Series(["屏幕够大，视觉效果不错，质量比我想象中的要好"] * 30)
    assert detect_language(english).code == "en"
    assert detect_language(russian).name == "Russian"
    assert "не" in detect_language(russian).stop_words
    zh = detect_language(chinese)
    assert zh.name == "Chinese" and zh.has_stop_words and not zh.has_tagger
    table = text_stats.tokenize(
        chinese, pd.Series(["1"] * 30), token_pattern=zh.token_pattern, split=zh.split
    )
    assert {"屏幕", "视觉效果", "不错", "质量", "好"} <= set(table.vocab)  # jieba's words
    nothing = detect_language(pd.Series(["", "  "]))
    assert nothing.code is None and nothing.name == "unknown"


def test_ngrams_can_be_counted_per_text() -> None:
    texts = pd.Series(["spam spam spam", "ham and eggs", "ham again"])
    table = text_stats.tokenize(texts, pd.Series(["1", "1", "1"]))
    by_occurrence = text_stats.top_ngrams(table, 1, k=2)
    assert by_occurrence["ngram"].tolist() == ["spam", "ham"]
    assert by_occurrence["count"].tolist() == [3, 2]
    per_text = text_stats.top_ngrams(table, 1, k=2, per_text=True)
    assert per_text["ngram"].tolist() == ["ham", "spam"]
    assert per_text["count"].tolist() == [2, 1]


@pytest.mark.parametrize(
    "content", [c for _, c, _, _ in BAD_FILES], ids=[label for label, *_ in BAD_FILES]
)
def test_the_ui_refuses_what_the_server_refuses(content: bytes) -> None:
    """One parser (shared/csv_format.py) judges a file in the browser and on the server."""
    assert not csv_check.check_csv("file.csv", content, limit_bytes=10_000).ok


@pytest.mark.parametrize(
    "content",
    [
        b"\n,,\n comment_text , toxic \nhi,0\nyo,1\n",  # lines before the header, padded names
        b"\xef\xbb\xbf\xef\xbb\xbfcomment_text,toxic\r\nhi,0\r\n",  # a file saved twice
        b"comment_text,toxic\rhi,0\ryo,1\r",  # bare CR line ends
        b'"comment_text","toxic"\n"a ""quoted"" text",1\n\n\nlast,0',  # blank lines, no end
    ],
    ids=["padded header after blank lines", "two BOMs", "CR line ends", "blank lines"],
)
def test_the_ui_accepts_what_the_server_reads(content: bytes) -> None:
    check = csv_check.check_csv("file.csv", content, limit_bytes=10_000)
    assert check.ok, check.problems
    assert check.columns == ["comment_text", "toxic"]


def test_sizes_are_said_in_the_unit_that_fits() -> None:
    assert csv_check.human_size(33) == "33 bytes"  # not "0.0 KiB"
    assert csv_check.human_size(2_048) == "2 KiB"
    assert csv_check.human_size(2_560) == "2.5 KiB"
    assert csv_check.human_size(100 * 2**20) == "100 MiB"
    assert csv_check.human_size(3 * 2**30) == "3,072 MiB"


def test_every_language_langdetect_can_answer_has_a_name() -> None:
    profiles = Path(langdetect.__file__).parent / "profiles"
    codes = sorted(p.name for p in profiles.iterdir())
    assert len(codes) >= 55
    assert [code for code in codes if Language(code).name == code] == []
    assert Language("af").name == "Afrikaans" and Language(None).name == "unknown"


def test_chinese_stop_words_are_left_out_of_words_n_grams_and_clouds() -> None:
    """As English and Russian ones are: 的, 了, 我, 也 out, 很 in. Like "not" and "не" in
    the EDA, 不 counts among the stop words (a model keeps it: `keep_negations`)."""
    texts = pd.Series(["我觉得质量很好，我们也喜欢", "物流太慢了，我不喜欢这个的包装"] * 15)
    labels = pd.Series(["1", "0"] * 15)
    zh = Language("zh-cn")
    assert {"的", "了", "我", "也", "我们", "这个"} <= zh.stop_words
    table = text_stats.tokenize(
        texts, labels, zh.stop_words, token_pattern=zh.token_pattern, split=zh.split
    )
    words = set(text_stats.top_ngrams(table, 1, k=50)["ngram"])
    assert {"质量", "很", "好", "喜欢", "物流", "太慢", "包装"} <= words
    assert not words & zh.stop_words
    bigrams = set(text_stats.top_ngrams(table, 2, k=50)["ngram"])
    assert "很 好" in bigrams and "我 觉得" not in bigrams
    assert not any(set(b.split()) & zh.stop_words for b in bigrams)
    stop = text_stats.top_stop_words(table, k=50)
    assert {"的", "了", "我", "也", "不"} <= set(stop["word"]) <= zh.stop_words
    assert not set(text_stats.word_frequencies(table, "0")) & zh.stop_words
    # traditional Chinese writes many of them otherwise: no list is named for it
    assert not Language("zh-tw").has_stop_words
