"""Explanations on the Predict page and the threshold explorer on the Models page."""

import json
from collections.abc import Callable

import pytest
from streamlit.testing.v1 import AppTest

from shared.schemas import Explanation, ModelRead, TermWeight
from ui.api_client import ApiClient
from ui.components.explanation import (
    beside_words,
    char_weights,
    highlighted_html,
    visible_term,
    without_single_letters,
)


def test_highlighting_escapes_the_text_and_colours_by_weight() -> None:
    text = "<b>you</b> idiot & co"
    explanation = Explanation(
        label=1,
        method="linear",
        towards=[TermWeight(term="idiot", weight=1.0, spans=[(11, 16)])],
        away=[TermWeight(term="co", weight=-0.2, spans=[(19, 21)])],
    )
    assert char_weights(text, explanation)[11:16] == [0.2] * 5
    out = highlighted_html(text, explanation)
    assert "<b>" not in out and "&lt;b&gt;you&lt;/b&gt;" in out and "&amp;" in out
    assert 'rgba(220, 38, 38, 0.75); border-radius: 3px">idiot</span>' in out  # strongest
    assert "rgba(37, 99, 235" in out and ">co</span>" in out
    assert "http" not in out  # nothing fetched


@pytest.fixture
def loaded_model(api: ApiClient, trained_model: ModelRead) -> ModelRead:
    return api.load_model(trained_model.id)


def test_a_terms_edge_spaces_are_shown() -> None:
    assert visible_term("idiot") == "idiot"
    assert visible_term("you idiot") == "you idiot"  # a word bigram: its space is plain
    assert visible_term(" ") == "␣" and visible_term(" yo") == "␣yo"


def test_predict_explains_one_text(page: Callable[[str], AppTest], loaded_model: ModelRead) -> None:
    at = page("predict").run()
    at.selectbox(key="predict.model").set_value(loaded_model.id).run()
    text = "You are a STUPID idiot <script>alert(1)</script>"
    at.text_area(key="predict.text").input(text).run()
    at.button(key="predict.run").click().run()
    assert not at.exception, [e.value for e in at.exception]
    highlighted = next(m.value for m in at.markdown if "explained-text" in m.value)
    assert "<script" not in highlighted and "</script" not in highlighted
    assert "&lt;" in highlighted and "&gt;" in highlighted  # escaped, then coloured
    assert "rgba(220, 38, 38" in highlighted  # something pushed towards the label
    label = next(m.value for m in at.metric if m.label == "Label")
    why = next(m.value for m in at.markdown if m.value.startswith("**Why"))
    assert f"`{label}`" in why
    tables = [d.value for d in at.dataframe if "term" in d.value.columns]
    assert any(len(t) for t in tables)
    # a model of words and character n-grams: its one-letter n-grams (" a", "o") are left
    # out of the lists, ten of each shown all the same
    assert loaded_model.params["char_ngram_range"] is not None
    terms = [term for t in tables for term in t["term"]]
    assert all(len(term.replace("␣", " ").strip()) > 1 for term in terms), terms
    assert all(len(t) <= 10 for t in tables) and max(len(t) for t in tables) == 10
    assert any("single letter are left out" in c.value for c in at.caption)
    edges = any("␣" in term for term in terms)
    assert edges == any("marks a word's edge" in c.value for c in at.caption)


def test_single_letters_leave_the_lists_only() -> None:
    terms = [
        TermWeight(term=t, weight=w, spans=[]) for t, w in (("o", 3.0), ("idiot", 2.0), (" a", 1.0))
    ]
    explanation = Explanation(label=1, method="linear", towards=terms, away=[], bias=0.5)
    kept = without_single_letters(explanation, 10)
    assert [t.term for t in kept.towards] == ["idiot"] and kept.bias == 0.5
    assert beside_words({"analyzer": "word", "char_ngram_range": [1, 4]})
    assert not beside_words({"analyzer": "char", "char_ngram_range": [1, 4]})  # Chinese
    assert not beside_words({"analyzer": "word", "char_ngram_range": None})


def test_threshold_explorer_is_live_and_saves(
    page: Callable[[str], AppTest], api: ApiClient, trained_model: ModelRead
) -> None:
    at = page("models").run()
    at.selectbox(key="models.picked").set_value(trained_model.id).run()
    assert not at.exception, [e.value for e in at.exception]
    at.button(key="models.threshold_run").click().run()
    assert not at.exception, [e.value for e in at.exception]
    slider = at.slider(key=f"models.threshold.{trained_model.id}")
    fitted = api.get_thresholds(trained_model.id).thresholds
    assert fitted is not None and slider.value == pytest.approx(fitted.thresholds[0].threshold)
    slider.set_value(0.0).run()
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Recall"] == "1.000"
    matrix = next((d.value for d in at.dataframe if "true \\ predicted" in d.value.columns), None)
    assert matrix is not None, [list(d.value.columns) for d in at.dataframe]
    assert int(matrix.iloc[:, 1:].to_numpy().sum()) == trained_model.metrics.n_test
    assert int(matrix.iloc[0, 1]) == 0  # nothing predicted negative at 0
    table = next(d for d in at.dataframe if "true \\ predicted" in d.value.columns)
    columns = json.loads(table.proto.columns)
    formats = {c: columns[c]["type_config"]["format"] for c in matrix.columns[1:]}
    assert set(formats.values()) == {"localized"}  # counts as 1,809
    at.slider(key=f"models.threshold.{trained_model.id}").set_value(0.7).run()
    newest = max(m.version for m in api.list_models() if m.name == trained_model.name)
    save = at.button(key="models.threshold_save")
    assert save.label == f"Save as v{newest + 1}"
    save.click().run()
    assert not at.exception, [e.value for e in at.exception]
    new = next(
        m for m in api.list_models() if m.parent_id == trained_model.id and m.source == "thresholds"
    )
    try:
        # a new version of the name, picked and shown; the model saved from is unchanged
        assert new.version == newest + 1 and new.source == "thresholds"
        assert at.selectbox(key="models.picked").value == new.id
        said = " ".join(s.value for s in at.success)
        assert f"saved as **{trained_model.name} v{new.version}**" in said, said
        assert f"made from v{trained_model.version}" in said
        saved = api.get_thresholds(new.id)
        assert saved.thresholds is not None and saved.thresholds.source == "manual"
        assert saved.thresholds.thresholds[0].threshold == pytest.approx(0.7)
        assert api.get_thresholds(trained_model.id).thresholds == fitted
        assert any(f"thresholds of v{trained_model.version}" in m.value for m in at.markdown)
    finally:  # the session's other tests count this name's versions
        api.remove_model(new.id)
