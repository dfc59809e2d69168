"""The Compare page compares the versions of one name: the name filter offers only that
name's versions and picks them all."""

from collections.abc import Callable

from streamlit.testing.v1 import AppTest

from shared.schemas import DatasetRead, IncrementalRequest, ModelRead, TaskStatus
from testkit.samples import labelled_csv
from ui.api_client import ApiClient
from ui.components.models import model_name
from ui.state import Selection

from .conftest import wait_for_task

FitAndWait = Callable[[dict[str, object]], ModelRead]


def test_versions_of_one_name(
    page: Callable[[str], AppTest],
    api: ApiClient,
    fit_and_wait: FitAndWait,
    demo_dataset: DatasetRead,
    demo_selection: Selection,
) -> None:
    body = {"name": "compare-versions", "kind": "sgd", "dataset_id": demo_dataset.id}
    first = fit_and_wait(body)
    second = fit_and_wait({**body, "params": {"regularization": 1e-4}})
    # a version of other data (a retrain from feedback is one): not among the models of
    # the dataset in use, which every name's picker starts on and the URL then names
    other = api.upload_dataset("compare-versions-other.csv", labelled_csv(120, seed=57))
    third = fit_and_wait({**body, "dataset_id": other.id})
    at = page("compare")
    at.session_state["selection"] = demo_selection
    at.run()
    assert not at.exception
    assert third.id not in at.multiselect(key="compare.models").value
    at.selectbox(key="compare.name").set_value("compare-versions").run()
    versions = at.multiselect(key="compare.models.compare-versions")
    assert set(versions.value) == {first.id, second.id, third.id}
    assert len(versions.options) == 3  # no other name offered
    versions.set_value([first.id, second.id]).run()
    at.button(key="compare.run").click().run()
    assert not at.exception, [e.value for e in at.exception]
    table = at.dataframe[0].value
    assert set(table["model"]) == {model_name(first), model_name(second)}


def test_versions_held_out_on_other_rows_are_not_ranked(
    page: Callable[[str], AppTest],
    api: ApiClient,
    fit_and_wait: FitAndWait,
    demo_dataset: DatasetRead,
    demo_selection: Selection,
) -> None:
    """A version continued on other data is held out on its own new rows: its figures and
    those of a version held out on this dataset's split cannot be ranked."""
    body = {"name": "compare-grown", "kind": "sgd", "dataset_id": demo_dataset.id}
    first = fit_and_wait(body)
    more = api.upload_dataset("compare-grown-more.csv", labelled_csv(600, seed=58))
    accepted = api.continue_training(first.id, IncrementalRequest(dataset_id=more.id, epochs=2))
    assert wait_for_task(api, accepted.task_id).status == TaskStatus.SUCCEEDED
    at = page("compare")
    at.session_state["selection"] = demo_selection
    at.run()
    at.selectbox(key="compare.name").set_value("compare-grown").run()
    at.button(key="compare.run").click().run()
    assert not at.exception, [e.value for e in at.exception]
    said = [c.value for c in at.caption if "No model is marked best" in c.value]
    assert len(said) == 1 and "scored on different rows" in said[0], said
    assert "" not in at.dataframe[0].value.columns  # no column of marks
