"""The Label page's retrain from feedback: a new version of the name from its dataset and
every label given, an alias to move when it is better, and the task to follow."""

import streamlit as st

from shared.schemas import ModelSummary
from shared.schemas.feedback import FeedbackRetrainRequest
from ui import navigation
from ui.components.backend import call, get_client
from ui.words import counted

MOVE_ALIAS = "label.move_alias"
RETRAINED = "label.retrained"  # (model id, task id) of the retrain last started
FEW_LABELS = 20  # fewer labels than this change a retrain little: said before it starts


def retrain_from_feedback(model: ModelSummary, given: int | None) -> None:
    """The section; `given`: how many labels the name has (None: not known, the list
    above could not be read)."""
    st.divider()
    st.subheader("Retrain from feedback")
    st.caption(
        f"A new version of **{model.name}** trained on its dataset and every label given "
        "for the name; it shows on the Tasks page while it trains, and ends compared with "
        "this version on held-out feedback. An alias named here moves only when the new "
        "version is better there (the task's message says which); its decision threshold "
        "is chosen again on its own held-out rows; load it on the Models page to use it."
    )
    if given == 0:
        st.info(f"No labels given for **{model.name}** yet: nothing to retrain with.")
        return
    if given is not None and given < FEW_LABELS:
        st.warning(
            f"Only {counted(given, 'label')} given for **{model.name}** so far: the new "
            "version will differ little from its parent. Its comparison with the parent, "
            "on the Tasks page once it ends, says by how much.",
            icon=":material/warning:",
        )
    elif given is not None:
        st.caption(f"{counted(given, 'label')} given for the name so far.")
    left, right = st.columns([2, 1])
    alias = left.text_input(
        "Move an alias to the new version (optional)",
        key=MOVE_ALIAS,
        placeholder="e.g. production",
    ).strip()
    right.write("")  # lines the button up with the field
    if right.button("Retrain from feedback", key="label.retrain", icon=":material/refresh:"):
        accepted = call(
            "Retraining from feedback",
            get_client().retrain_from_feedback,
            model.id,
            FeedbackRetrainRequest(move_alias=alias or None),
        )
        if accepted is not None:
            st.session_state[RETRAINED] = (model.id, accepted.task_id)
    retrained = st.session_state.get(RETRAINED)
    task_id = retrained[1] if retrained and retrained[0] == model.id else None  # this one's
    if task_id:
        st.success(f"Retraining: task `{str(task_id)[:8]}`.", icon=":material/model_training:")
        st.page_link(navigation.page("tasks"), label="Follow it on Tasks")
