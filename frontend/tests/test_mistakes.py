"""The misclassified held-out texts' table: a version fitted on several datasets (a retrain
on both) says which dataset each row is in."""

from streamlit.testing.v1 import AppTest

from shared.schemas import LineageDataset, ModelErrors, ModelRead
from shared.schemas.evaluation import Misclassified


def _shown(model: ModelRead, errors: ModelErrors) -> AppTest:
    def script(model_json: str, errors_json: str) -> None:
        import streamlit as st

        from shared.schemas import ModelErrors, ModelRead
        from ui.components.mistakes import ERRORS, mistakes

        model = ModelRead.model_validate_json(model_json)
        st.session_state[ERRORS] = (model.id, ModelErrors.model_validate_json(errors_json))
        mistakes(model)

    kwargs = {"model_json": model.model_dump_json(), "errors_json": errors.model_dump_json()}
    return AppTest.from_function(script, kwargs=kwargs).run()


def test_the_rows_of_a_version_fitted_on_several_datasets_name_their_dataset(
    trained_model: ModelRead,
) -> None:
    row = Misclassified(
        dataset_id="added", row=7, text="t", true_label=1, predicted_label=0, confidence=0.9,
        kind="false negative",
    )  # fmt: skip
    errors = ModelErrors(model_id=trained_model.id, n_test=10, n_errors=1, rows=[row])
    one = _shown(trained_model, errors)
    assert not one.exception, [e.value for e in one.exception]
    assert "dataset" not in one.dataframe[0].value.columns  # one dataset: no column for it
    both = trained_model.model_copy(
        update={
            "lineage_datasets": [
                *trained_model.lineage_datasets,
                LineageDataset(id="added", name="more rows"),
            ]
        }
    )
    shown = _shown(both, errors).dataframe[0].value
    assert (shown.loc[0, "dataset"], shown.loc[0, "row"]) == ("more rows", 7)
