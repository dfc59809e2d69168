"""The Tasks page: statuses, progress, errors of failed tasks, cancelling."""

from collections.abc import Callable

import pytest
from streamlit.testing.v1 import AppTest

from shared.schemas import FitRequest, ModelRead, TaskRead, TaskStatus
from ui.api_client import ApiClient


def test_finished_tasks_show_status_progress_and_errors(
    page: Callable[[str], AppTest], trained_model: ModelRead, failed_task: TaskRead
) -> None:
    at = page("tasks").run()
    assert not at.exception, [e.value for e in at.exception]
    markdown = "\n".join(m.value for m in at.markdown)
    assert f"**{trained_model.name}** v{trained_model.version}" in markdown
    assert ":green-badge[succeeded]" in markdown
    assert ":red-badge[failed]" in markdown
    errors = [e.value for e in at.error]
    assert any(failed_task.error and failed_task.error[:40] in e for e in errors), errors
    metrics = {m.label: m.value for m in at.metric}
    assert int(metrics["failed"]) >= 1
    assert int(metrics["succeeded"]) >= 3  # two default models and the test's own
    assert at.get("progress")


def test_filter_by_status(page: Callable[[str], AppTest], failed_task: TaskRead) -> None:
    at = page("tasks").run()
    at.multiselect(key="tasks.filter").set_value([TaskStatus.FAILED]).run()
    assert not at.exception
    markdown = "\n".join(m.value for m in at.markdown)
    assert ":green-badge[succeeded]" not in markdown
    assert ":red-badge[failed]" in markdown


@pytest.mark.keras
def test_a_running_task_can_be_cancelled(
    page: Callable[[str], AppTest], api: ApiClient, trained_model: ModelRead
) -> None:
    # Keras starts slowly (TensorFlow is imported in the worker): time enough to cancel it.
    accepted = api.fit(
        FitRequest.model_validate(
            {
                "name": "page-tests-cancelled",
                "kind": "keras_cnn",
                "params": {"epochs": 50},
                "dataset_id": trained_model.dataset_id,
            }
        )
    )
    at = page("tasks").run()
    assert not at.exception, [e.value for e in at.exception]
    at.button(key=f"tasks.cancel.{accepted.task_id}").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert api.get_task(accepted.task_id).status == TaskStatus.CANCELLED
    api.remove_model(accepted.model_id)
