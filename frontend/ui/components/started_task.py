"""A training started from this page (a fit, a retrain, a continuation): a banner that
follows its task until it ends, and points to the Tasks page.

The session state under the page's key holds {task_id, model_id, name, started}; the
banner forgets it once the task's model is removed.
"""

import streamlit as st

from shared.schemas import FitAccepted, TaskRead, TaskStatus
from ui import navigation
from ui.api_client import ApiError
from ui.components.backend import get_client
from ui.settings import get_settings


def remember_started(
    key: str, accepted: FitAccepted, name: str, started: str = "Training started"
) -> None:
    """Follow this training's task under `key` (the last one started there); `started`
    begins its banner."""
    st.session_state[key] = {
        "task_id": accepted.task_id,
        "model_id": accepted.model_id,
        "name": name,
        "started": started,
    }


def started_banner(key: str) -> None:
    """The training remembered under `key` and its task's state ("Training started:
    **name** — training, 40%"), followed until the task ends; nothing once its model was
    removed."""
    last = st.session_state.get(key)
    if not last:
        return
    task = _task_of(key, last)
    if task is None:
        return
    polling = not task.status.is_finished
    every = get_settings().tasks_refresh_s if polling else None
    read = [task]  # this run's read; each later run of the fragment reads it anew

    @st.fragment(run_every=every)
    def banner() -> None:
        current = read.pop() if read else _task_of(key, last)
        if current is None:
            return
        if polling and current.status.is_finished:
            st.rerun()  # the whole page, so that the banner stops polling
        show = st.error if current.status == TaskStatus.FAILED else st.success
        show(
            f"{last['started']}: **{last['name']}** — {task_state(current)}.",
            icon=":material/rocket_launch:",
        )
        st.caption(f"Task `{last['task_id']}` · model id `{last['model_id']}`")

    banner()
    st.page_link(navigation.page("tasks"), label="Follow it on the Tasks page")


def _task_of(key: str, last: dict[str, str]) -> TaskRead | None:
    """The training's task, or None (and the banner forgotten) once its model was
    removed."""
    try:
        task = get_client().get_task(last["task_id"])
    except ApiError:
        task = None
    if task is None or task.model_id != last["model_id"]:  # removed (its task forgets it)
        st.session_state.pop(key, None)
        return None
    return task


def task_state(task: TaskRead) -> str:
    """Where a training's task is, in words."""
    if task.status == TaskStatus.QUEUED:
        return "queued, waiting for a training process"
    if task.status == TaskStatus.RUNNING:
        return f"training, {task.progress:.0%}" + (f" ({task.message})" if task.message else "")
    if task.status == TaskStatus.SUCCEEDED:
        return "finished: the model is ready (load it on the Models page to predict)"
    if task.status == TaskStatus.FAILED:
        return f"failed: {task.error or task.message}"
    return "cancelled"
