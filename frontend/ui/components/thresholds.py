"""The threshold explorer of a binary model: a slider over its held-out scores with live
precision, recall, F1 and confusion matrix, and a button that saves the threshold as the
next version of the model's name (the same model with other thresholds, not retrained; the
version shown keeps its own). A multi-label model has a threshold per label: a label is
picked, then the same slider and figures are that label's, as its own binary problem.

The held-out scores are fetched once per model (the backend makes the split again); every
slider move is then worked out here, in the fragment, with numpy: no request. After a save
the page shows the new version (`take_saved_pick`).
"""

import numpy as np
import pandas as pd
import streamlit as st

from shared.schemas import ModelRead, ScoresRequest
from shared.schemas.thresholds import ThresholdsRead, ThresholdsUpdate
from ui.components.backend import call, get_client
from ui.components.models import forget_models, label_text, no_held_out, threshold_in_force
from ui.components.tables import number_columns
from ui.words import counted

SCORES = "models.threshold_scores"  # (model id, truths, scores); per label: matrices
SLIDER = "models.threshold"
LABEL = "models.threshold_label"
MOVE_ALIAS = "models.threshold_move_alias"
SAVED = "models.threshold_saved"  # (new version's id, what to say) after a save
PICK = "models.threshold_pick"  # the new version's id, for the page's picker to take
NO_ALIAS = "(none)"


def take_saved_pick() -> str | None:
    """The id of the version a save just made, once: the page picks it before its picker
    is drawn."""
    return st.session_state.pop(PICK, None)


def figures(truth: np.ndarray, scores: np.ndarray, cut: float) -> dict[str, float]:
    """Precision, recall, F1 and the confusion counts at `cut` (positive: score >= cut)."""
    predicted = scores >= cut
    tp = int((predicted & truth).sum())
    fp = int((predicted & ~truth).sum())
    fn = int((~predicted & truth).sum())
    tn = len(truth) - tp - fp - fn
    return {
        "precision": tp / (tp + fp) if tp + fp else 1.0,
        "recall": tp / (tp + fn) if tp + fn else 0.0,
        "f1": 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else 0.0,
        "tp": tp,
        "fp": fp,
        "fn": fn,
        "tn": tn,
    }


def _held_out(model: ModelRead) -> tuple[np.ndarray, np.ndarray] | None:
    """Truths and scores of the held-out rows: vectors (binary: has the positive class, its
    probability) or, for a multi-label model, (n_rows, n_labels) matrices."""
    stored = st.session_state.get(SCORES)
    if stored is not None and stored[0] == model.id:
        return stored[1], stored[2]
    if not st.button("Explore thresholds", key="models.threshold_run", icon=":material/tune:"):
        return None
    request = ScoresRequest(model_ids=[model.id], dataset_id=model.dataset_id, split="test")
    with st.spinner("Scoring the held-out split…"):
        answer = call("Scoring the held-out split", get_client().predict_scores, request)
    if answer is None:
        return None
    result = answer.results[0]
    if model.label_columns:
        n_labels = len(model.classes)
        truth = np.asarray(result.label_truths or [], dtype=bool).reshape(-1, n_labels)
        scores = np.asarray(result.label_scores or [], dtype=float).reshape(-1, n_labels)
    else:
        positive = str(model.classes[1])
        truth = np.asarray([str(y) == positive for y in result.labels or []])
        scores = np.asarray(result.scores, dtype=float)
    st.session_state[SCORES] = (model.id, truth, scores)
    return truth, scores


def current_threshold(model: ModelRead, label: str | None = None) -> float:
    """The threshold in force for `label` (a binary model: its positive class); 0.5 when
    the model has none for it."""
    cut = threshold_in_force(model, label)
    return 0.5 if cut is None else cut


def threshold_explorer(model: ModelRead, next_version: int | None = None) -> None:
    """Only for a trained binary or multi-label model whose dataset is still there.
    `next_version`: the version a save makes (the name's newest + 1)."""
    multilabel = bool(model.label_columns)
    if model.metrics is None or (not multilabel and len(model.classes) != 2):
        return
    saved = st.session_state.get(SAVED)
    if saved is not None and saved[0] == model.id:  # once, on the page the save led to
        del st.session_state[SAVED]
        st.success(saved[1], icon=":material/check:")
    chosen = model.thresholds
    if multilabel:
        st.markdown("**Decision thresholds** (one per label)")
        in_force = ", ".join(f"`{c}` {current_threshold(model, str(c)):.3f}" for c in model.classes)
    else:
        positive = label_text(model.classes[1], model.label_names)
        st.markdown(f"**Decision threshold** (positive class `{positive}`)")
        in_force = f"{current_threshold(model):.3f}"
    if chosen is not None:
        how = chosen.objective.objective if chosen.objective else "by hand"
        st.caption(
            f"In force: {in_force} ({chosen.source}, {how})"
            + (
                f"; {counted(len(model.threshold_history), 'earlier setting')}."
                if model.threshold_history
                else "."
            )
            + (f" {chosen.note}" if chosen.note else "")
            + (
                f" Metrics above are at {_cuts_text(model.metrics.decision_thresholds)}."
                if model.metrics.decision_thresholds
                else ""
            )
        )
    elif multilabel:
        st.caption("In force: 0.5 for every label (fitted before thresholds per label).")
    if model.dataset_id is None:
        st.caption(no_held_out(model, "scored"))
        return
    held_out = _held_out(model)
    if held_out is None:
        return
    truth, scores = held_out
    if not multilabel:
        _explore(model, str(model.classes[1]), str(model.classes[0]), truth, scores, next_version)
        return
    names = [str(c) for c in model.classes]
    label = st.selectbox("Label", names, key=f"{LABEL}.{model.id}")
    i = names.index(label)
    _explore(model, label, f"not {label}", truth[:, i], scores[:, i], next_version)


def _cuts_text(cuts: dict[str, float]) -> str:
    if len(cuts) == 1:
        return f"{next(iter(cuts.values())):.3f}"
    return ", ".join(f"`{label}` {cut:.3f}" for label, cut in cuts.items())


@st.fragment
def _explore(
    model: ModelRead,
    positive: str,
    negative: str,
    truth: np.ndarray,
    scores: np.ndarray,
    next_version: int | None = None,
) -> None:
    """The slider and figures of one threshold: `positive` is predicted when its score is
    at least it (a multi-label model: one of its labels, `negative` its absence)."""
    per_label = bool(model.label_columns)
    key = f"{SLIDER}.{model.id}.{positive}" if per_label else f"{SLIDER}.{model.id}"
    cut = st.slider(
        "Threshold",
        min_value=0.0,
        max_value=1.0,
        value=current_threshold(model, positive),
        step=0.005,
        format="%.3f",
        key=key,
        help=f"`{positive}` when its probability is at least this.",
    )
    at = figures(truth, scores, cut)
    cols = st.columns(3)
    cols[0].metric("Precision", f"{at['precision']:.3f}")
    cols[1].metric("Recall", f"{at['recall']:.3f}")
    cols[2].metric("F1", f"{at['f1']:.3f}")
    st.dataframe(
        pd.DataFrame(
            {
                "true \\ predicted": [negative, positive],
                negative: [at["tn"], at["fn"]],
                positive: [at["fp"], at["tp"]],
            }
        ),
        hide_index=True,
        column_config=number_columns(counts=(negative, positive)),
        key="models.threshold_matrix",
    )
    chosen_here = model.metrics is not None and model.metrics.threshold_figures in (
        "cross_fitted",
        "partly_cross_fitted",
    )
    st.caption(
        f"On {len(scores):,} held-out texts; computed in the browser session."
        + (
            " The threshold in force was chosen on these texts, so its figures here can be "
            "a little higher than the model's metrics, which are cross-fitted."
            if chosen_here
            else ""
        )
    )
    new = f"v{next_version}" if next_version is not None else "a new version"
    alias = NO_ALIAS
    if model.aliases:
        alias = st.selectbox(
            f"Move an alias to {new}",
            [NO_ALIAS, *model.aliases],
            key=MOVE_ALIAS,
            help="Aliases stay where they are unless one is picked here.",
        )
    st.caption(
        f"Saving makes {new} of {model.name}: this model with the new threshold, not "
        f"retrained (lineage: thresholds, parent v{model.version}); v{model.version} keeps "
        "its own."
    )
    if st.button(f"Save as {new}", key="models.threshold_save", icon=":material/save:"):
        update = ThresholdsUpdate(
            thresholds={positive: round(cut, 6)},
            move_alias=None if alias == NO_ALIAS else alias,
        )
        saved = call("Saving the threshold", get_client().set_thresholds, model.id, update)
        if saved is not None:
            _show_saved(model, saved, cut, positive if per_label else None)


def _show_saved(model: ModelRead, saved: ThresholdsRead, cut: float, label: str | None) -> None:
    """Say what the save made, then show it: the page picks the new version."""
    what = f"Threshold {cut:.3f}" + (f" for `{label}`" if label else "")
    moved = f"; `{saved.moved_alias}` now names it" if saved.moved_alias else ""
    loaded = " It is loaded, as its parent was." if saved.loaded else ""
    st.session_state[SAVED] = (
        saved.model_id,
        f"{what} saved as **{model.name} v{saved.version}** (made from "
        f"v{model.version}{moved}).{loaded}",
    )
    st.session_state[PICK] = saved.model_id
    forget_models()
    st.rerun()
