"""The Tasks page: statuses, progress, errors of failed tasks, cancelling; what made a
version (a retrain, a continuation) and every dataset it read."""

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from streamlit.testing.v1 import AppTest

from shared.schemas import (
    INTERRUPTED_BY_RESTART,
    DatasetRead,
    FitAccepted,
    FitRequest,
    ModelRead,
    TaskRead,
    TaskStatus,
)
from shared.schemas.retrieval import RetrieverFitRequest, RetrieverStatus
from testkit.samples import SLOW_RETRIEVER_PARAMS, labelled_csv, slow_qa_csv
from testkit.versions import GrownOnBoth
from ui.api_client import ApiClient
from ui.pages.tasks import duration, eta, timeline


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
    page: Callable[[str], AppTest], api: ApiClient, slow_fit: FitAccepted
) -> None:
    at = page("tasks").run()
    assert not at.exception, [e.value for e in at.exception]
    at.button(key=f"tasks.cancel.{slow_fit.task_id}").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert api.get_task(slow_fit.task_id).status == TaskStatus.CANCELLED


def test_filter_by_model_and_dataset_and_a_removed_models_name_stays(
    page: Callable[[str], AppTest],
    api: ApiClient,
    demo_dataset: DatasetRead,
    finished: Callable[[str], TaskRead],
) -> None:
    other = api.upload_dataset("tasks-other.csv", labelled_csv(60, seed=616), "tasks-other")
    accepted = api.fit(
        FitRequest.model_validate(
            {"name": "tasks-page-gone", "kind": "naive_bayes", "dataset_id": other.id}
        )
    )
    assert finished(accepted.task_id).status == TaskStatus.SUCCEEDED
    api.remove_model(accepted.model_id)
    at = page("tasks").run()
    at.multiselect(key="tasks.filter_model").set_value(["tasks-page-gone"]).run()
    assert not at.exception, [e.value for e in at.exception]
    titles = [m.value for m in at.markdown if "· task `" in m.value]
    expected = f"**tasks-page-gone** v1 (removed) · on tasks-other · task `{accepted.task_id[:8]}`"
    assert titles == [expected]
    at.multiselect(key="tasks.filter_model").set_value([]).run()
    at.multiselect(key="tasks.filter_dataset").set_value([demo_dataset.id]).run()
    titles = [m.value for m in at.markdown if "· task `" in m.value]
    assert titles and all("· on demo data ·" in t for t in titles), titles


def test_a_retrain_says_so_and_names_every_dataset_it_read(
    page: Callable[[str], AppTest], grown_on_both: Callable[[str, int], GrownOnBoth]
) -> None:
    grown = grown_on_both("tasks-page-grown", 617)
    at = page("tasks").run()
    at.multiselect(key="tasks.filter_model").set_value(["tasks-page-grown"]).run()
    titles = [m.value for m in at.markdown if "· task `" in m.value]
    assert titles == [
        f"**tasks-page-grown** v2 · retrain of v1 · on tasks-page-grown-first + "
        f"tasks-page-grown-added · task `{grown.retrained['task_id'][:8]}`",
        f"**tasks-page-grown** v1 · on tasks-page-grown-first · task "
        f"`{grown.fitted['task_id'][:8]}`",
    ]


def test_the_eta_is_the_servers_estimate_while_it_lies_ahead() -> None:
    started = datetime(2026, 1, 1, 12, 0, 0, tzinfo=UTC)
    task = TaskRead(
        id="t", model_id="m", status=TaskStatus.RUNNING, progress=0.25, message="fitting",
        error=None, created_at=started, started_at=started, finished_at=None,
        expected_finish_at=started + timedelta(seconds=80),
    )  # fmt: skip
    assert eta(task, now=started + timedelta(seconds=20)) == "60 s"
    assert eta(task, now=started - timedelta(minutes=29, seconds=40)) == "31 min"
    # past it (a stage that reports nothing runs long): no estimate rather than a wrong one
    assert eta(task, now=started + timedelta(seconds=80)) is None
    assert eta(task.model_copy(update={"expected_finish_at": None}), now=started) is None
    assert eta(task.model_copy(update={"status": TaskStatus.SUCCEEDED}), now=started) is None


def test_the_timeline_says_how_long_it_ran_or_that_it_never_started() -> None:
    created = datetime(2026, 1, 1, 12, 0, 0, tzinfo=UTC)
    ran = TaskRead(
        id="t", model_id="m", status=TaskStatus.SUCCEEDED, progress=1.0, message="done",
        error=None, created_at=created, started_at=created + timedelta(seconds=2),
        finished_at=created + timedelta(seconds=12),
    )  # fmt: skip
    assert timeline(ran).endswith(" · took 10.0 s")
    assert [duration(s) for s in (75.7, 125.4, 3 * 3600 + 250)] == [
        "75.7 s", "2 min 5 s", "3 h 4 min"
    ]  # fmt: skip
    queued = ran.model_copy(update={"status": TaskStatus.CANCELLED, "started_at": None})
    assert timeline(queued).endswith(" · never started (queued 12.0 s)")  # not "took"
    # ended by the next start's recovery: its finished_at counts the server's downtime
    recovered = ran.model_copy(
        update={"status": TaskStatus.FAILED, "message": INTERRUPTED_BY_RESTART}
    )
    assert "took" not in timeline(recovered)
    assert timeline(recovered).endswith(" · how long it ran is not known")


def test_clearing_finished_tasks_keeps_the_models(
    page: Callable[[str], AppTest], api: ApiClient, trained_model: ModelRead
) -> None:
    at = page("tasks").run()
    assert at.button(key="tasks.clear").label.startswith("Clear ")
    at.button(key="tasks.clear").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert all(not t.status.is_finished for t in api.list_tasks())
    assert api.get_model(trained_model.id).status == "ready"
    markdown = "\n".join(m.value for m in at.markdown)
    assert "badge[succeeded]" not in markdown and "badge[failed]" not in markdown


def test_a_retriever_fit_is_named_and_can_be_cancelled(
    page: Callable[[str], AppTest], api: ApiClient
) -> None:
    dataset = api.upload_dataset("slow_qa.csv", slow_qa_csv(), name="page-tests-slow-qa")
    accepted = api.fit_retriever(
        RetrieverFitRequest.model_validate(
            {
                "name": "page-tests-retriever",
                "dataset_id": dataset.id,
                "params": SLOW_RETRIEVER_PARAMS,
            }
        )
    )
    at = page("tasks").run()
    assert not at.exception, [e.value for e in at.exception]
    markdown = "\n".join(m.value for m in at.markdown)
    assert f"retriever **page-tests-retriever** v{accepted.version}" in markdown
    assert "(removed)" not in markdown.split("page-tests-retriever")[1].split("\n")[0]
    at.button(key=f"tasks.cancel.{accepted.task_id}").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert api.get_task(accepted.task_id).status == TaskStatus.CANCELLED
    assert api.get_retriever(accepted.retriever_id).status == RetrieverStatus.CANCELLED
