"""The Compare page compares the versions of one name: the name filter offers only that
name's versions and picks them all."""

from collections.abc import Callable

from streamlit.testing.v1 import AppTest

from shared.schemas import DatasetRead, ModelRead
from ui.components.models import model_name
from ui.state import Selection

FitAndWait = Callable[[dict[str, object]], ModelRead]


def test_versions_of_one_name(
    page: Callable[[str], AppTest],
    fit_and_wait: FitAndWait,
    demo_dataset: DatasetRead,
    demo_selection: Selection,
) -> None:
    body = {"name": "compare-versions", "kind": "sgd", "dataset_id": demo_dataset.id}
    first = fit_and_wait(body)
    second = fit_and_wait({**body, "params": {"regularization": 1e-4}})
    at = page("compare")
    at.session_state["selection"] = demo_selection
    at.run()
    assert not at.exception
    at.selectbox(key="compare.name").set_value("compare-versions").run()
    versions = at.multiselect(key="compare.models.compare-versions")
    assert set(versions.value) == {first.id, second.id}
    assert len(versions.options) == len({first.id, second.id})  # no other name offered
    at.button(key="compare.run").click().run()
    assert not at.exception, [e.value for e in at.exception]
    table = at.dataframe[0].value
    assert set(table["model"]) == {model_name(first), model_name(second)}
