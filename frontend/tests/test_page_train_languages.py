"""The Train page's language options: tokenizer, stemming and new_words (a text area, one
word per line) reach the fit and are stored with the model; the languages the texts read
as, and a warning for Chinese mixed with a spaced script."""

from collections.abc import Callable

import pandas as pd
from streamlit.testing.v1 import AppTest

from testkit.servers import REPO_ROOT
from ui.analysis.language import Language, LanguageMix, detect_languages
from ui.api_client import ApiClient
from ui.components.preprocessing_checks import languages_read, mismatches, mixed_scripts
from ui.pages.train import LAST_FIT
from ui.state import Selection

ZH_DEMO = REPO_ROOT / "demo_data" / "zh_reviews_demo.csv"


def test_language_options_reach_the_model(
    page: Callable[[str], AppTest], demo_selection: Selection, api: ApiClient
) -> None:
    at = page("train")
    at.session_state["selection"] = demo_selection
    at.run()
    tokenizer = at.selectbox(key="train.pre.tokenizer")
    assert tokenizer.value == "auto" and tokenizer.options == ["auto", "regex", "jieba"]
    assert "language" in tokenizer.help
    assert at.selectbox(key="train.pre.stemming").value == "none"
    words = at.text_area(key="train.pre.new_words")
    assert words.value == "" and "only Chinese text split with jieba" in words.help
    assert "ignored" in words.help
    assert any("detects the language" in c.value for c in at.caption)

    at.text_input(key="train.name").input("train-page-jieba").run()
    at.selectbox(key="train.pre.tokenizer").set_value("jieba").run()
    at.selectbox(key="train.pre.stemming").set_value("english").run()
    at.text_area(key="train.pre.new_words").input("散热模组\n性价比\n\n").run()
    at.button(key="train.submit").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert "Training started" in at.success[0].value
    model = api.get_model(at.session_state[LAST_FIT]["model_id"])
    assert model.preprocessing.tokenizer == "jieba"
    assert model.preprocessing.stemming == "english"
    assert model.preprocessing.new_words == ["散热模组", "性价比"]


def test_words_to_keep_whole_with_the_regex_tokenizer_are_said_to_be_ignored(
    page: Callable[[str], AppTest], demo_selection: Selection
) -> None:
    at = page("train")
    at.session_state["selection"] = demo_selection
    at.run()
    at.text_area(key="train.pre.new_words").input("性价比").run()
    assert not at.warning  # auto: jieba on Chinese text
    at.selectbox(key="train.pre.tokenizer").set_value("regex").run()
    assert "will be ignored" in at.warning[0].value
    at.text_area(key="train.pre.new_words").input("").run()
    assert not at.warning  # nothing to ignore


def test_a_word_with_a_space_is_refused_before_sending(
    page: Callable[[str], AppTest], demo_selection: Selection
) -> None:
    at = page("train")
    at.session_state["selection"] = demo_selection
    at.run()
    at.text_input(key="train.name").input("train-page-bad-word").run()
    at.text_area(key="train.pre.new_words").input("two words").run()
    at.button(key="train.submit").click().run()
    assert "Check these settings" in at.error[0].value
    assert "new_words" in at.error[0].value


def test_choices_that_do_not_fit_the_texts_language_are_said_before_train(
    page: Callable[[str], AppTest], demo_selection: Selection
) -> None:
    at = page("train")
    at.session_state["selection"] = demo_selection
    at.run()
    assert any("The texts read as **English**" in c.value for c in at.caption)
    assert not at.warning
    at.selectbox(key="train.pre.tokenizer").set_value("jieba").run()
    at.selectbox(key="train.pre.stemming").set_value("russian").run()
    at.multiselect(key="train.pre.stop_words").set_value(["russian", "english"]).run()
    said = [w.value for w in at.warning]
    assert len(said) == 3, said
    assert said[0].startswith("**Split words with: jieba** on English texts")
    assert said[1].startswith("**Reduce words to stems: russian** on English texts")
    assert said[2].startswith("**The russian stop-word list** on English texts")


def test_a_language_nobody_could_tell_raises_nothing() -> None:
    assert mismatches({"tokenizer": "jieba", "stemming": "russian"}, Language(None)) == []
    assert mismatches({"tokenizer": "jieba"}, Language("zh-cn")) == []
    assert mismatches({"stemming": "russian", "stop_words": ["russian"]}, Language("ru")) == []


def test_texts_of_chinese_and_a_spaced_script_are_warned_about() -> None:
    chinese = ["这个手机的质量很好，物流也很快", "屏幕太暗了，电池用一天就没电了"]
    russian = ["Отличный телефон, доставка быстрая", "Экран тусклый, батарея садится за день"]
    mix = detect_languages(pd.Series([*chinese * 6, *russian * 4]))
    assert [lang.code for lang, _ in mix.shares] == ["zh-cn", "ru"]
    assert languages_read(mix) == "**Chinese** (60%), **Russian** (40%)"
    warning = mixed_scripts(mix)
    assert warning is not None and warning.startswith("**The texts mix Chinese with Russian.**")
    assert "**Split texts into: char**" in warning
    # one language, or two that both put spaces between words: nothing to warn about
    russian_only = detect_languages(pd.Series(russian * 5))
    assert languages_read(russian_only) == "**Russian**" and mixed_scripts(russian_only) is None
    spaced = LanguageMix(((Language("en"), 0.6), (Language("ru"), 0.4)))
    assert languages_read(spaced) == "**English** (60%), **Russian** (40%)"
    assert mixed_scripts(spaced) is None
    few = LanguageMix(((Language("ru"), 0.9), (Language("zh-cn"), 0.1)))  # under MIN_SHARE
    assert languages_read(few) == "**Russian**" and mixed_scripts(few) is None


def test_the_chinese_stop_word_list_is_offered_and_reaches_the_model(
    page: Callable[[str], AppTest], api: ApiClient
) -> None:
    dataset = api.upload_dataset("train-zh.csv", ZH_DEMO.read_bytes(), "train-zh")
    at = page("train")
    at.session_state["selection"] = Selection(dataset.id, dataset.name, "text", "label")
    at.run()
    assert any("The texts read as **Chinese**" in c.value for c in at.caption)
    lists = at.multiselect(key="train.pre.stop_words")
    assert lists.options == ["english", "russian", "chinese"]
    assert "的, 了" in lists.help and "chinese removes jieba's words" in lists.help
    assert "不, 没, 没有" in at.checkbox(key="train.pre.keep_negations").help
    lists.set_value(["chinese"]).run()
    assert not at.warning  # auto: jieba, whose words the list holds
    at.selectbox(key="train.pre.tokenizer").set_value("regex").run()
    said = [w.value for w in at.warning]
    assert len(said) == 1 and said[0].startswith(
        "**The chinese stop-word list** with **Split words with: regex** removes nothing"
    )
    at.selectbox(key="train.pre.tokenizer").set_value("auto").run()
    at.text_input(key="train.name").input("train-page-zh-stop-words").run()
    at.button(key="train.submit").click().run()
    assert not at.exception, [e.value for e in at.exception]
    model = api.get_model(at.session_state[LAST_FIT]["model_id"])
    assert model.preprocessing.stop_words == ["chinese"]


def test_the_chinese_list_on_texts_of_another_language_or_unsplit() -> None:
    english, russian = Language("en"), Language("ru")
    assert mismatches({"stop_words": ["chinese"]}, english) == [
        "**The chinese stop-word list** on English texts removes none of their words."
    ]
    assert len(mismatches({"stop_words": ["chinese"], "tokenizer": "regex"}, russian)) == 1
    for code in ("zh-cn", "zh-tw"):  # most of its words are written alike in traditional
        assert mismatches({"stop_words": ["chinese"], "tokenizer": "auto"}, Language(code)) == []
        assert mismatches({"stop_words": ["chinese"], "tokenizer": "jieba"}, Language(code)) == []
        regex = mismatches({"stop_words": ["chinese"], "tokenizer": "regex"}, Language(code))
        assert len(regex) == 1 and "takes a whole clause as one word" in regex[0]
    assert mismatches({"stop_words": ["russian"], "tokenizer": "regex"}, russian) == []
