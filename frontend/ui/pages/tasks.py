"""Tasks: every training task with its progress, refreshing itself: every few seconds
while any is running, and now and then while none is (a task started elsewhere shows)."""

from datetime import UTC, datetime

import streamlit as st

from shared.schemas import INTERRUPTED_BY_RESTART, ModelSource, ModelSummary, TaskRead, TaskStatus
from ui.components.backend import call, call_or_stop, get_client
from ui.components.models import cached_models, datasets_label
from ui.settings import get_settings
from ui.words import counted

SHOWN = 50
STATUS_COLOURS = {
    TaskStatus.QUEUED: "gray",
    TaskStatus.RUNNING: "blue",
    TaskStatus.SUCCEEDED: "green",
    TaskStatus.FAILED: "red",
    TaskStatus.CANCELLED: "orange",
}


def render() -> None:
    st.title("Tasks")
    st.caption("Training runs in background processes on the server; this page follows it.")
    tasks = call_or_stop("Listing the tasks", get_client().list_tasks)
    polling = any(not t.status.is_finished for t in tasks)
    settings = get_settings()
    # quickly while a task runs; slowly while none does, to see one started elsewhere
    # (another tab, the API) without a reload
    every = settings.tasks_refresh_s if polling else settings.tasks_idle_refresh_s

    @st.fragment(run_every=every)
    def board() -> None:
        current = call("Listing the tasks", get_client().list_tasks)
        if current is None:
            return
        if polling != any(not t.status.is_finished for t in current):
            st.rerun()  # the whole page, so the next fragment polls at the other pace
        task_board(current)

    board()


def task_board(tasks: list[TaskRead]) -> None:
    if not tasks:
        st.info("No tasks yet: start one on the Train page.")
        return
    counts = {s: sum(t.status == s for t in tasks) for s in TaskStatus}
    cols = st.columns(len(counts))
    for col, (status, count) in zip(cols, counts.items(), strict=True):
        col.metric(str(status), count)
    datasets = {
        d.id: d.name for d in call("Listing the datasets", get_client().list_datasets) or []
    }
    # what made each task's version (a retrain, a continuation), and the data it read
    models = {m.id: m for m in call("Listing the models", cached_models) or []}
    # the status filter's five chips need the room: cut, a removed one could not be seen
    by_status, by_model, by_dataset = st.columns([2, 1, 1])
    statuses = by_status.multiselect(
        "Status", list(TaskStatus), default=list(TaskStatus), format_func=str, key="tasks.filter"
    )
    names = sorted({t.model_name for t in tasks if t.model_name})
    model_names = by_model.multiselect(
        "Model", names, placeholder="every model", key="tasks.filter_model"
    )
    ids = sorted({t.dataset_id for t in tasks if t.dataset_id}, key=lambda i: datasets.get(i, i))
    dataset_ids = by_dataset.multiselect(
        "Dataset",
        ids,
        format_func=lambda i: datasets.get(i, i),
        placeholder="every dataset",
        key="tasks.filter_dataset",
    )
    matching = [
        t
        for t in tasks
        if t.status in statuses
        and (not model_names or t.model_name in model_names)
        and (not dataset_ids or t.dataset_id in dataset_ids)
    ]
    clear_finished_button(tasks)
    shown = matching[:SHOWN]
    for task in shown:
        task_card(task, datasets, models.get(task.model_id or ""))
    if len(tasks) > len(shown):
        st.caption(f"{len(shown)} of {len(tasks)} tasks shown.")


def clear_finished_button(tasks: list[TaskRead]) -> None:
    finished = sum(t.status.is_finished for t in tasks)
    if st.button(
        f"Clear {counted(finished, 'finished task')}",
        key="tasks.clear",
        disabled=not finished,
        icon=":material/clear_all:",
        help="Delete the records of succeeded, failed and cancelled tasks; models stay.",
    ):
        cleared = call("Clearing finished tasks", get_client().clear_finished_tasks)
        if cleared is not None:
            st.toast(f"Cleared {counted(cleared.removed, 'finished task')}.")
            st.rerun()


# how a fit task's version was made, when not from scratch ({} is its parent's version)
MADE = {
    ModelSource.RETRAIN: "retrain of v{}",
    ModelSource.INCREMENTAL: "v{} trained further",
    ModelSource.FEEDBACK: "v{} retrained with feedback",
}


def task_card(task: TaskRead, datasets: dict[str, str], model: ModelSummary | None = None) -> None:
    """`model`: the task's version, when the list has it (it says how it was made)."""
    # the key names the card in the page (class st-key-task-<id>): one card per task
    with st.container(border=True, key=f"task-{task.id}"):
        title, status = st.columns([4, 1])
        if task.kind == "retriever_fit":  # a retriever: no model id, ever
            name = f"retriever **{task.model_name}** v{task.model_version}"
        elif task.model_name:
            name = f"**{task.model_name}** v{task.model_version}"
            # only a fit owns its model; other tasks (scoring, retrievers) name it alone
            name += "" if task.model_id or task.kind != "fit" else " (removed)"
            name += "" if task.kind == "fit" else f" · {task.kind.replace('_', ' ')}"
            made = MADE.get(model.source) if model and task.kind == "fit" else None
            name += f" · {made.format(model.parent_version)}" if model and made else ""
        else:
            name = "a removed model"
        dataset = datasets.get(task.dataset_id or "", "a deleted dataset")
        if model is not None and task.kind == "fit":
            dataset = datasets_label(model, datasets)  # every dataset a retrain on both read
        title.markdown(f"{name} · on {dataset} · task `{task.id[:8]}`")
        colour = STATUS_COLOURS[task.status]
        status.markdown(f":{colour}-badge[{task.status}]")
        st.progress(min(max(task.progress, 0.0), 1.0), text=task.message or str(task.status))
        st.caption(timeline(task))
        left = eta(task)
        if left is not None:
            st.caption(f"About {left} left, at its recent pace.")
        if task.status == TaskStatus.FAILED:
            st.error(f"**Failed:** {task.error or task.message}", icon=":material/error:")
        if not task.status.is_finished and st.button(
            "Cancel", key=f"tasks.cancel.{task.id}", icon=":material/cancel:"
        ):
            cancelled = call("Cancelling the task", get_client().cancel_task, task.id)
            if cancelled is not None:
                st.toast(f"Task {task.id[:8]} is {cancelled.status}.")


def timeline(task: TaskRead) -> str:
    parts = [f"created {when(task.created_at)}"]
    if task.started_at:
        parts.append(f"started {when(task.started_at)}")
    if task.finished_at and task.message == INTERRUPTED_BY_RESTART:
        # recorded at the next start: the time to then counts the server's downtime
        parts.append(f"ended by a restart, recorded {when(task.finished_at)}")
        parts.append("how long it ran is not known")
    elif task.finished_at:
        parts.append(f"finished {when(task.finished_at)}")
        if task.started_at:
            parts.append(f"took {duration((task.finished_at - task.started_at).total_seconds())}")
        else:  # cancelled (or failed) in the queue: it took nothing, it waited
            waited = (task.finished_at - task.created_at).total_seconds()
            parts.append(f"never started (queued {duration(waited)})")
    return " · ".join(parts)


def duration(seconds: float) -> str:
    """12.3 s under a minute and a half; 2 min 5 s, then 1 h 4 min beyond."""
    if seconds < 90:
        return f"{seconds:.1f} s"
    whole = round(seconds)
    if whole < 3600:
        return f"{whole // 60} min {whole % 60} s"
    return f"{whole // 3600} h {whole % 3600 // 60} min"


def eta(task: TaskRead, now: datetime | None = None) -> str | None:
    """Time left for a running task, at its recent pace (the server's estimate); None when
    there is none, or when that time has passed (a stage that reports nothing is slower)."""
    if task.status != TaskStatus.RUNNING or task.expected_finish_at is None:
        return None
    seconds = (task.expected_finish_at - (now or datetime.now(UTC))).total_seconds()
    if seconds < 1:
        return None
    return f"{seconds:.0f} s" if seconds < 90 else f"{seconds / 60:.0f} min"


def when(moment: datetime) -> str:
    return moment.astimezone().strftime("%Y-%m-%d %H:%M:%S")
