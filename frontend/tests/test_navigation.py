"""What every page shares through ui/navigation.py: the sidebar, the selection in the URL,
form state kept across pages, and the Train page's banner belonging to one visit. The
README lists every page's URL."""

from collections.abc import Callable

import pytest
from streamlit.testing.v1 import AppTest

from shared.schemas import DatasetRead, ModelRead, TaskRead, TaskStatus
from testkit.servers import REPO_ROOT
from ui.api_client import ApiClient
from ui.navigation import PAGES
from ui.pages.models import PICKED
from ui.pages.train import LAST_FIT
from ui.state import Selection

SCRIPT = """
import streamlit as st
from ui import navigation
navigation.run_page(st.session_state.get("test.page", "upload"))
"""


@pytest.fixture
def app(frontend_settings: None) -> Callable[[], AppTest]:
    """An app that draws the page named in session state `test.page`, as st.navigation
    would, through the same runner."""
    return lambda: AppTest.from_string(SCRIPT, default_timeout=120)


def go(at: AppTest, key: str) -> AppTest:
    at.session_state["test.page"] = key
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def sidebar_text(at: AppTest) -> str:
    return " ".join(c.value for c in at.sidebar.caption)


def test_a_page_that_stops_early_keeps_the_sidebar(app: Callable[[], AppTest]) -> None:
    at = go(app(), "train")  # no dataset: the page stops after its hint
    assert "Pick or upload a dataset first" in at.info[0].value
    assert "No dataset selected yet." in sidebar_text(at)
    assert "Backend:" in sidebar_text(at)


def test_the_selection_goes_into_the_url_and_comes_back_from_it(
    app: Callable[[], AppTest], demo_selection: Selection, demo_dataset: DatasetRead
) -> None:
    at = app()
    at.session_state["selection"] = demo_selection
    go(at, "eda")
    assert at.query_params["dataset"] == demo_dataset.id
    assert at.query_params["label"] == "toxic"

    shared_link = app()  # a new session (a reload, a link sent to someone)
    shared_link.query_params["dataset"] = demo_dataset.id
    shared_link.query_params["text"] = "comment_text"
    shared_link.query_params["label"] = "toxic"
    go(shared_link, "train")
    assert shared_link.session_state["selection"] == demo_selection
    assert demo_dataset.name in sidebar_text(shared_link)
    assert shared_link.title[0].value == "Train a model"


def test_a_link_to_a_deleted_dataset_says_so(app: Callable[[], AppTest]) -> None:
    at = app()
    at.query_params["dataset"] = "0" * 32
    go(at, "train")
    assert "not found" in at.error[0].value
    assert "Pick or upload a dataset first" in at.info[0].value


def test_the_train_form_is_kept_while_on_other_pages(
    app: Callable[[], AppTest], demo_selection: Selection
) -> None:
    at = app()
    at.session_state["selection"] = demo_selection
    go(at, "train")
    at.selectbox(key="train.kind").set_value("naive_bayes").run()
    at.text_area(key="train.description").input("spam or not").run()
    at.number_input(key="train.params.naive_bayes.alpha").set_value(0.25).run()
    go(at, "tasks")
    go(at, "models")
    go(at, "train")
    assert at.selectbox(key="train.kind").value == "naive_bayes"
    assert at.text_area(key="train.description").value == "spam or not"
    assert at.number_input(key="train.params.naive_bayes.alpha").value == 0.25


def test_the_suggested_name_follows_the_kind_until_edited(
    app: Callable[[], AppTest], demo_selection: Selection
) -> None:
    at = app()
    at.session_state["selection"] = demo_selection
    go(at, "train")
    assert at.text_input(key="train.name").value.endswith("-logreg")
    at.selectbox(key="train.kind").set_value("linear_svc").run()
    assert at.text_input(key="train.name").value.endswith("-linear_svc")
    at.text_input(key="train.name").input("my-svm").run()
    at.selectbox(key="train.kind").set_value("naive_bayes").run()
    assert at.text_input(key="train.name").value == "my-svm"


def test_the_started_banner_is_for_one_visit_only(
    app: Callable[[], AppTest],
    demo_selection: Selection,
    api: ApiClient,
    finished: Callable[[str], TaskRead],
) -> None:
    at = app()
    at.session_state["selection"] = demo_selection
    go(at, "train")
    at.selectbox(key="train.kind").set_value("naive_bayes").run()
    at.text_input(key="train.name").input("banner-once").run()
    at.button(key="train.submit").click().run()
    assert "Training started" in at.success[0].value
    at.text_area(key="train.description").input("still here").run()  # same visit
    assert "Training started" in at.success[0].value
    # the banner follows the task: once it has ended, it says so in words
    assert finished(at.session_state[LAST_FIT]["task_id"]).status == TaskStatus.SUCCEEDED
    at.text_area(key="train.description").input("still here, later").run()
    assert at.success[0].value == (
        "Training started: **banner-once** — finished: the model is ready (load it on the "
        "Models page to predict)."
    )
    go(at, "tasks")
    go(at, "train")  # a later visit
    assert not [s for s in at.success if "Training started" in s.value]
    assert LAST_FIT not in at.session_state


def test_the_picked_model_goes_into_the_url_and_comes_back_from_it(
    app: Callable[[], AppTest],
    api: ApiClient,
    named_labels_model: ModelRead,
    trained_model: ModelRead,
) -> None:
    two = [api.load_model(m.id).id for m in (named_labels_model, trained_model)]
    for model_id in two:  # two models: they cannot both be a picker's first option
        at = go(app(), "predict")
        at.selectbox(key="predict.model").set_value(model_id).run()
        assert at.query_params["model"] == model_id

        for key, picker in (("predict", "predict.model"), ("models", PICKED)):
            shared_link = app()  # a reload, or the link sent to someone
            shared_link.query_params["model"] = model_id
            go(shared_link, key)
            assert shared_link.selectbox(key=picker).value == model_id, key


def test_the_compared_models_go_into_the_url_and_come_back_from_it(
    app: Callable[[], AppTest],
    named_labels_model: ModelRead,
    trained_model: ModelRead,
) -> None:
    picked = [trained_model.id, named_labels_model.id]
    at = go(app(), "compare")
    at.multiselect(key="compare.models").set_value(picked).run()
    assert at.query_params["models"] == ",".join(picked)

    shared_link = app()  # a reload, or the link sent to someone
    shared_link.query_params["models"] = ",".join([*picked, "0" * 32])  # one removed since
    go(shared_link, "compare")
    assert shared_link.multiselect(key="compare.models").value == picked


def test_the_readme_names_every_pages_url() -> None:
    readme = " ".join((REPO_ROOT / "README.md").read_text(encoding="utf-8").split())
    listed = readme[readme.index("Every page has its own URL") :].split(";")[0]
    assert [spec.key for spec in PAGES if f"`/{spec.key}`" not in listed] == []
