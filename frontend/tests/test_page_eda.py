"""The EDA page on the demo dataset, fetched from the real backend."""

import csv
import io
import json
import random
from collections.abc import Callable

from streamlit.testing.v1 import AppTest

from ui.analysis import fonts
from ui.api_client import ApiClient
from ui.state import Selection


def charts(at: AppTest) -> list:
    return at.get("plotly_chart")


def test_without_a_dataset_it_points_to_upload(page: Callable[[str], AppTest]) -> None:
    at = page("eda").run()
    assert not at.exception
    assert "Pick or upload a dataset first" in at.info[0].value
    assert not charts(at)


def test_all_sections_render_and_t_sne_waits_for_the_button(
    page: Callable[[str], AppTest], demo_selection: Selection
) -> None:
    at = page("eda")
    at.session_state["selection"] = demo_selection
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    # lengths (2), 1-grams per class (2), stop words (2), parts of speech (1)
    assert len(charts(at)) == 7
    assert len(at.get("image")) == 2  # the word clouds, one per class
    assert "1,809 labelled texts in 2 classes: 0, 1." in at.caption[1].value
    assert not any("t-SNE" in str(c.proto) for c in charts(at))

    at.button(key="eda.tsne_run").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert len(charts(at)) == 8


def test_ngram_and_stop_word_switches(
    page: Callable[[str], AppTest], demo_selection: Selection
) -> None:
    at = page("eda")
    at.session_state["selection"] = demo_selection
    at.run()
    at.segmented_control(key="eda.ngram_n").set_value(3).run()
    at.toggle(key="eda.ngram_stop").set_value(True).run()
    assert not at.exception, [e.value for e in at.exception]
    assert "all words" in " ".join(c.value for c in at.caption)
    at.radio(key="eda.length_unit").set_value("words").run()
    assert not at.exception


def test_a_column_the_dataset_lacks_is_an_error_message(
    page: Callable[[str], AppTest], demo_selection: Selection
) -> None:
    at = page("eda")
    at.session_state["selection"] = Selection(
        demo_selection.dataset_id, "demo", "comment_text", "severe_toxic"
    )
    at.run()
    assert not at.exception
    assert "no column severe_toxic" in at.error[0].value


CHINESE = [
    "屏幕够大，视觉效果不错",
    "物流速度太慢了",
    "质量比我想象中的要好",
    "服务员也很冷漠",
    "房间太小了",
]
RUSSIAN = [
    "это очень хороший фильм и мне он понравился",
    "я не советую этот товар никому",
    "доставка была быстрой, а качество отличное",
    "он совсем не работает, это ужасно",
]


def other_language_csv(phrases: list[str], seed: int) -> bytes:
    rng = random.Random(seed)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["text", "label"])
    for i in range(120):
        writer.writerow([f"{rng.choice(phrases)}，{rng.choice(phrases)} {i}", i % 2])
    return out.getvalue().encode()


def eda_of(page: Callable[[str], AppTest], api: ApiClient, content: bytes, name: str) -> AppTest:
    dataset = api.upload_dataset(f"{name}.csv", content, name)
    at = page("eda")
    at.session_state["selection"] = Selection(dataset.id, dataset.name, "text", "label")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_chinese_texts_are_explored_by_jieba_words_without_english_tools(
    page: Callable[[str], AppTest], api: ApiClient
) -> None:
    at = eda_of(page, api, other_language_csv(CHINESE, 1), "chinese-reviews")
    assert "Language: **Chinese**" in at.caption[1].value
    infos = " ".join(i.value for i in at.info)
    assert "No stop-word list" not in infos
    assert "Parts of speech are shown for English only: no tagger for Chinese" in infos
    captions = " ".join(c.value for c in at.caption)
    assert "Words as jieba splits Chinese (it is written without spaces)" in captions
    # the lengths in words count jieba's words too (a run between spaces would be ~1)
    assert "Chinese is written without spaces: its words are jieba's" in captions
    summary = next(d.value for d in at.dataframe if "words mean" in d.value.columns)
    assert (summary["words mean"] > 4).all(), summary
    assert "most frequent words (split by jieba: Chinese is written without spaces)" in captions
    # the Chinese list leaves out 的, 了, 我, 也 as the other languages' lists do theirs
    assert "The most frequent words of the Chinese stop-word list, per class." in captions
    assert "stop words left out (Chinese list)" in captions
    assert "n-grams with a stop word left out (Chinese list)." in captions
    n_gram = at.get("button_group")[0].proto.options  # the n-gram length's choices
    assert [o.content for o in n_gram] == ["words", "bigrams", "trigrams"]
    # the bars are of jieba's words (物流, 质量), not of single characters; the frequent
    # words' bars (the first two charts) have no stop word, the stop words' bars only them
    charts = [json.loads(c.proto.spec) for c in at.get("plotly_chart")]
    data = [json.dumps(c["data"], ensure_ascii=False) for c in charts]
    bars = " ".join(data)
    assert '"物流"' in bars and '"物"' not in bars, "物流 is one of the frequent words"
    frequent = [d for d in data if '"物流"' in d]  # the frequent words' bars
    stop = [d for d in data if '"的"' in d]  # the stop words' bars
    assert frequent and stop
    assert not [d for d in frequent if any(f'"{w}"' in d for w in ("的", "了", "我", "也"))]
    assert all('"了"' in d and '"物流"' not in d for d in stop)
    # its word clouds are drawn with a font that has Chinese characters, where one is
    # installed (install-system-deps.sh installs one), else the page says what to install
    drawn = len(at.get("image"))
    assert drawn == 2 if fonts.wide_font() else (drawn == 0 and "no font with" in infos)


def test_russian_texts_use_the_russian_stop_words(
    page: Callable[[str], AppTest], api: ApiClient
) -> None:
    at = eda_of(page, api, other_language_csv(RUSSIAN, 2), "russian-reviews")
    assert "Language: **Russian**" in at.caption[1].value
    captions = " ".join(c.value for c in at.caption)
    assert "Russian stop-word list" in captions and "(Russian list)" in captions
    assert "The 150 most frequent words of each class; stop words left out (Russian list)" in (
        captions
    )
    assert "written without spaces" not in captions
    assert "no tagger for Russian" in " ".join(i.value for i in at.info)
