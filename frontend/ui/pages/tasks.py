"""Tasks: every training task with its progress, refreshing itself while any is running."""

from datetime import datetime

import streamlit as st

from shared.schemas import ModelSummary, TaskRead, TaskStatus
from ui.components.backend import call, call_or_stop, get_client
from ui.settings import get_settings

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
    every = get_settings().tasks_refresh_s if polling else None

    @st.fragment(run_every=every)
    def board() -> None:
        current = call("Listing the tasks", get_client().list_tasks)
        if current is None:
            return
        if polling and all(t.status.is_finished for t in current):
            st.rerun()  # the whole page, so the next fragment stops polling
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
    statuses = st.multiselect(
        "Show", list(TaskStatus), default=list(TaskStatus), format_func=str, key="tasks.filter"
    )
    models = {m.id: m for m in call("Listing the models", get_client().list_models) or []}
    shown = [t for t in tasks if t.status in statuses][:SHOWN]
    for task in shown:
        task_card(task, models.get(task.model_id or ""))
    if len(tasks) > len(shown):
        st.caption(f"{len(shown)} of {len(tasks)} tasks shown.")


def task_card(task: TaskRead, model: ModelSummary | None) -> None:
    with st.container(border=True):
        title, status = st.columns([4, 1])
        name = f"**{model.name}** v{model.version} · `{model.kind}`" if model else "a removed model"
        title.markdown(f"{name} · task `{task.id[:8]}`")
        colour = STATUS_COLOURS[task.status]
        status.markdown(f":{colour}-badge[{task.status}]")
        st.progress(min(max(task.progress, 0.0), 1.0), text=task.message or str(task.status))
        st.caption(timeline(task))
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
    if task.finished_at:
        parts.append(f"finished {when(task.finished_at)}")
        start = task.started_at or task.created_at
        parts.append(f"took {(task.finished_at - start).total_seconds():.1f} s")
    return " · ".join(parts)


def when(moment: datetime) -> str:
    return moment.astimezone().strftime("%Y-%m-%d %H:%M:%S")
