"""The Train page: widgets derived from the params models, submitting a fit."""

from collections.abc import Callable

import pytest
from streamlit.testing.v1 import AppTest

from shared.schemas import ModelKind, PreprocessingConfig, TaskStatus
from ui.api_client import ApiClient
from ui.components.param_form import params_models
from ui.pages.train import LAST_FIT
from ui.state import Selection


def train_page(page: Callable[[str], AppTest], selection: Selection) -> AppTest:
    at = page("train")
    at.session_state["selection"] = selection
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def widget_keys(at: AppTest) -> set[str]:
    widgets = [
        *at.number_input,
        *at.slider,
        *at.checkbox,
        *at.selectbox,
        *at.multiselect,
        *at.text_area,
        *at.text_input,
    ]
    return {w.key for w in widgets if w.key}


def test_without_a_dataset_it_points_to_upload(page: Callable[[str], AppTest]) -> None:
    at = page("train").run()
    assert "Pick or upload a dataset first" in at.info[0].value


@pytest.mark.parametrize("kind", list(ModelKind))
def test_every_param_of_every_kind_has_a_widget_with_help(
    page: Callable[[str], AppTest], demo_selection: Selection, kind: ModelKind
) -> None:
    at = train_page(page, demo_selection)
    at.selectbox(key="train.kind").set_value(str(kind)).run()
    assert not at.exception, [e.value for e in at.exception]
    keys = widget_keys(at)
    fields = set(params_models()[str(kind)].model_fields) - {"kind"}
    assert {f"train.params.{kind}.{f}" for f in fields} <= keys
    assert {f"train.pre.{f}" for f in PreprocessingConfig.model_fields} <= keys
    numbers = [w for w in at.number_input if w.key.startswith(f"train.params.{kind}.")]
    assert numbers, "every kind has a numeric param"
    assert all("Default:" in w.help for w in numbers)


def test_out_of_range_values_are_clamped_by_the_widgets(
    page: Callable[[str], AppTest], demo_selection: Selection
) -> None:
    at = train_page(page, demo_selection)
    c = at.number_input(key="train.params.logreg.C")
    assert c.min > 0
    assert c.max == 1e6
    assert at.slider(key="train.params.logreg.ngram_range").value == (1, 2)


def test_an_invalid_name_is_refused_before_sending(
    page: Callable[[str], AppTest], demo_selection: Selection
) -> None:
    at = train_page(page, demo_selection)
    at.text_input(key="train.name").input("bad/name?").run()
    at.button(key="train.submit").click().run()
    assert "Check these settings" in at.error[0].value
    assert "`name`" in at.error[0].value


def test_submit_starts_a_task_and_links_to_it(
    page: Callable[[str], AppTest], demo_selection: Selection, api: ApiClient
) -> None:
    at = train_page(page, demo_selection)
    at.selectbox(key="train.kind").set_value("naive_bayes").run()
    at.text_input(key="train.name").input("train-page-nb").run()
    at.number_input(key="train.params.naive_bayes.alpha").set_value(0.5).run()
    at.multiselect(key="train.pre.stop_words").set_value(["english"]).run()
    at.text_area(key="train.label_names").input("0 = clean\n1 = toxic\nnot a pair").run()
    at.button(key="train.submit").click().run()
    assert not at.exception, [e.value for e in at.exception]
    last = at.session_state[LAST_FIT]
    assert "Training started" in at.success[0].value
    assert at.get("page_link")
    model = api.get_model(last["model_id"])
    assert model.params["alpha"] == 0.5
    assert model.preprocessing.stop_words == ["english"]
    assert model.label_names == {"0": "clean", "1": "toxic"}
    task = api.get_task(last["task_id"])
    assert task.status in set(TaskStatus)
    assert any(last["task_id"] in c.value for c in at.caption)  # under the banner


def test_the_display_names_example_names_the_labels_values(
    page: Callable[[str], AppTest], demo_selection: Selection
) -> None:
    at = train_page(page, demo_selection)
    assert at.text_area(key="train.label_names").placeholder == "0 = …\n1 = …"
    assert at.button(key="train.submit").disabled is False
    assert not at.warning


def test_a_label_column_of_one_class_is_said_before_train(
    page: Callable[[str], AppTest], api: ApiClient
) -> None:
    rows = "".join(f"text number {i},spam\n" for i in range(30))
    dataset = api.upload_dataset("one-class.csv", f"text,label\n{rows}".encode())
    at = train_page(page, Selection(dataset.id, dataset.name, "text", "label"))
    said = [w.value for w in at.warning]
    assert len(said) == 1 and "`label` has only `spam` in its labelled rows" in said[0], said
    assert at.button(key="train.submit").disabled is True
    assert at.text_area(key="train.label_names").placeholder == "spam = …"
    api.delete_dataset(dataset.id)


def test_an_option_of_none_stays_shown_after_train(
    page: Callable[[str], AppTest], demo_selection: Selection, api: ApiClient
) -> None:
    """A select box whose value was None showed its placeholder once the page reran."""
    at = train_page(page, demo_selection)
    box = at.selectbox(key="train.params.logreg.class_weight")
    assert box.value is not None and box.index == 0  # "none", picked
    at.text_input(key="train.name").input("train-page-none-kept").run()
    at.button(key="train.submit").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.selectbox(key="train.params.logreg.class_weight").index == 0
    model = api.get_model(at.session_state[LAST_FIT]["model_id"])
    assert model.params["class_weight"] is None  # what it stands for


def test_reset_restores_defaults(page: Callable[[str], AppTest], demo_selection: Selection) -> None:
    at = train_page(page, demo_selection)
    at.number_input(key="train.params.logreg.C").set_value(9.0).run()
    at.button(key="train.reset").click().run()
    assert at.number_input(key="train.params.logreg.C").value == 2.0
