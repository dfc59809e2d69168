"""The EDA page on the demo dataset, fetched from the real backend."""

from collections.abc import Callable

from streamlit.testing.v1 import AppTest

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
    assert "1,670 labelled texts in 2 classes: 0, 1." in at.caption[1].value
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
