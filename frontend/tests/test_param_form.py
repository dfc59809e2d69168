"""Widgets derived from pydantic fields: a new field shows up with its bounds and help."""

from collections.abc import Callable

from streamlit.testing.v1 import AppTest

from shared.schemas import ModelKind
from ui.components.param_form import Bounds, bounds_of, params_models
from ui.components.param_labels import NOT_USED, settings_table, value_text
from ui.state import Selection


def form_app() -> None:
    from typing import Annotated, Literal

    import streamlit as st
    from pydantic import BaseModel, Field

    from ui.components.param_form import model_form

    class NewParams(BaseModel):
        rate: float = Field(0.01, gt=0.0, lt=1.0, description="A brand-new rate.")
        layers: int = Field(3, ge=1, le=12, description="How many.")
        cap: int | None = Field(None, ge=1, description="Optional cap.")
        mode: Literal["fast", "slow"] = "fast"
        weight: Literal["balanced"] | None = None
        span: tuple[Annotated[int, Field(ge=1, le=5)], Annotated[int, Field(ge=1, le=5)]] = (1, 3)
        flag: bool = True
        words: list[str] = Field(default_factory=list)

    st.session_state["values"] = model_form(NewParams, key="new")


def test_a_new_params_model_gets_widgets_with_bounds_and_defaults() -> None:
    at = AppTest.from_function(form_app).run()
    assert not at.exception, [e.value for e in at.exception]
    values = at.session_state["values"]
    assert values == {
        "rate": 0.01,
        "layers": 3,
        "cap": None,
        "mode": "fast",
        "weight": None,
        "span": [1, 3],
        "flag": True,
        "words": [],
    }
    rate = at.number_input(key="new.rate")
    assert 0 < rate.min < 1e-5 and 1 - 1e-5 < rate.max < 1
    assert "A brand-new rate." in rate.help and "Allowed: > 0, < 1." in rate.help
    layers = at.number_input(key="new.layers")
    assert (layers.min, layers.max) == (1, 12)
    assert at.slider(key="new.span").min == 1 and at.slider(key="new.span").max == 5

    at.checkbox(key="new.cap.on").check().run()
    at.number_input(key="new.cap").set_value(7).run()
    at.text_area(key="new.words").input("foo, bar\nbaz").run()
    at.selectbox(key="new.weight").set_value("balanced").run()
    values = at.session_state["values"]
    assert values["cap"] == 7
    assert values["words"] == ["foo", "bar", "baz"]
    assert values["weight"] == "balanced"


def test_every_kind_has_a_params_model() -> None:
    assert set(params_models()) == {str(k) for k in ModelKind}


def test_bounds_are_read_from_field_metadata() -> None:
    from shared.schemas import LogregParams

    assert bounds_of(LogregParams.model_fields["C"].metadata) == Bounds(0.0, 1e6, True, False)
    assert Bounds(0.0, 1.0, True, True).describe() == "> 0, < 1"


def test_every_hyperparameter_of_every_kind_is_labelled_in_words() -> None:
    from shared.schemas import FitRequest
    from ui.components.param_labels import WORDS

    for kind, model in params_models().items():
        missing = set(model.model_fields) - {"kind"} - set(WORDS)
        assert not missing, (kind, missing)
    assert {"test_size", "random_state"} <= set(WORDS) & set(FitRequest.model_fields)


def test_a_widget_shows_the_words_the_name_and_the_meaning(
    page: Callable[[str], AppTest], demo_selection: Selection
) -> None:
    at = page("train")
    at.session_state["selection"] = demo_selection
    at.run()
    widget = at.number_input(key="train.params.logreg.min_df")
    assert widget.label == "Ignore rare terms (min_df)"
    assert widget.help.startswith("Terms in fewer than N texts are dropped.")
    assert "Default: 2." in widget.help
    # the built-in lists keep their negations unless told otherwise: the help says so
    stop_words = at.multiselect(key="train.pre.stop_words")
    assert "their negations stay unless you untick 'Keep negations'" in stop_words.help
    keep = at.checkbox(key="train.pre.keep_negations")
    assert keep.value is True and keep.label == "Keep negations (keep_negations)"
    assert "не, нет, без stay in the text" in keep.help


def test_settings_read_as_words() -> None:
    table = settings_table(
        {"C": 2.0, "ngram_range": [1, 2], "stop_words": [], "max_features": 200000, "x": None}
    )
    assert list(table["setting"]) == [
        "Fit strength (C)",
        "Terms of n words (ngram_range)",
        "Stop-word lists (stop_words)",
        "Vocabulary size (max_features)",
        "x",
    ]
    assert list(table["value"]) == ["2", "1–2", "none", "200,000", "none"]
    assert value_text(True) == "yes" and value_text(["english", "russian"]) == "english, russian"


def test_character_extras_of_a_char_analyzer_read_as_not_used() -> None:
    extras = {"char_ngram_range": [2, 4], "char_max_features": 1000}
    chars = settings_table({"analyzer": "char", **extras})
    assert list(chars["value"])[1:] == [NOT_USED, NOT_USED]
    words = settings_table({"analyzer": "word", **extras})
    assert list(words["value"])[1:] == ["2–4", "1,000"]
