"""A model's misclassified held-out texts, fetched when the user asks (the split is made
again on the backend), kept per model for the session."""

import pandas as pd
import streamlit as st

from shared.schemas import ModelErrors, ModelRead
from ui.components.backend import call, get_client
from ui.components.models import label_text, no_held_out

ERRORS = "models.errors"
ERRORS_LIMIT = 50


def mistakes(model: ModelRead) -> None:
    """The model's misclassified held-out rows, fetched on request (the split is made again)."""
    st.markdown("**Misclassified held-out texts**")
    stored: tuple[str, ModelErrors] | None = st.session_state.get(ERRORS)
    if stored is None or stored[0] != model.id:
        if model.dataset_id is None:
            st.caption(no_held_out(model, "made"))
            return
        if not st.button("Show them", key="models.errors_run", icon=":material/rule:"):
            return
        with st.spinner("Scoring the held-out split again…"):
            errors = call(
                "Finding the misclassified texts", get_client().model_errors, model.id, ERRORS_LIMIT
            )
        if errors is None:
            return
        st.session_state[ERRORS] = stored = (model.id, errors)
    errors = stored[1]
    counts = ""
    if errors.false_positives is not None:
        counts = (
            f" ({errors.false_positives:,} false positives, {errors.false_negatives:,} false "
            f"negatives; positive class `{label_text(errors.positive_label, model.label_names)}`)"
        )
    cuts = errors.decision_thresholds
    at = ""
    if cuts:
        at = " at the decision threshold " + (
            f"{next(iter(cuts.values())):.3f}"
            if len(cuts) == 1
            else ", ".join(f"`{label}` {cut:.3f}" for label, cut in cuts.items())
        )
    st.caption(
        f"{errors.n_errors:,} of {errors.n_test:,} held-out texts are misclassified{at}"
        f"{counts}; the {len(errors.rows)} most confident mistakes:"
    )
    if not errors.rows:
        return
    table = pd.DataFrame(
        {
            "kind": [r.kind for r in errors.rows],
            "text": [r.text for r in errors.rows],
            "true": [str(r.true_label) for r in errors.rows],
            "predicted": [str(r.predicted_label) for r in errors.rows],
            "confidence": [r.confidence for r in errors.rows],
            "row": [r.row for r in errors.rows],
        }
    )
    if len(model.lineage_datasets) > 1:  # rows of several datasets: say whose row it is
        names = {d.id: d.name or d.id for d in model.lineage_datasets}
        table["dataset"] = [names.get(r.dataset_id, r.dataset_id) for r in errors.rows]
    st.dataframe(
        table,
        hide_index=True,
        key="models.errors_table",
        column_config={
            "text": st.column_config.TextColumn(width="large"),
            "confidence": st.column_config.ProgressColumn(min_value=0, max_value=1),
        },
    )
