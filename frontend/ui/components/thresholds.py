"""The threshold explorer of a binary model: a slider over its held-out scores with live
precision, recall, F1 and confusion matrix, and a button that makes the threshold the
model's own (a change without retraining; the earlier one goes to its history). A
multi-label model has a threshold per label: a label is picked, then the same slider and
figures are that label's, as its own binary problem.

The held-out scores are fetched once per model (the backend makes the split again); every
slider move is then worked out here, in the fragment, with numpy: no request.
"""

import numpy as np
import pandas as pd
import streamlit as st

from shared.schemas import ModelRead, ScoresRequest
from shared.schemas.thresholds import ThresholdsUpdate
from ui.components.backend import call, get_client

SCORES = "models.threshold_scores"  # (model id, truths, scores); per label: matrices
SLIDER = "models.threshold"
LABEL = "models.threshold_label"


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
    wanted = str(model.classes[1]) if label is None and len(model.classes) > 1 else label
    for threshold in model.thresholds.thresholds if model.thresholds else []:
        if str(threshold.label) == wanted:
            return float(threshold.threshold)
    return 0.5


def threshold_explorer(model: ModelRead) -> None:
    """Only for a trained binary or multi-label model whose dataset is still there."""
    multilabel = bool(model.label_columns)
    if model.metrics is None or (not multilabel and len(model.classes) != 2):
        return
    chosen = model.thresholds
    if multilabel:
        st.markdown("**Decision thresholds** (one per label)")
        in_force = ", ".join(f"`{c}` {current_threshold(model, str(c)):.3f}" for c in model.classes)
    else:
        st.markdown(f"**Decision threshold** (positive class `{model.classes[1]}`)")
        in_force = f"{current_threshold(model):.3f}"
    if chosen is not None:
        how = chosen.objective.objective if chosen.objective else "by hand"
        st.caption(
            f"In force: {in_force} ({chosen.source}, {how}); "
            f"{len(model.threshold_history)} earlier setting(s)."
            + (f" {chosen.note}" if chosen.note else "")
        )
    elif multilabel:
        st.caption("In force: 0.5 for every label (fitted before thresholds per label).")
    if model.dataset_id is None:
        st.caption("Its dataset was deleted: the held-out split cannot be scored again.")
        return
    held_out = _held_out(model)
    if held_out is None:
        return
    truth, scores = held_out
    if not multilabel:
        _explore(model, str(model.classes[1]), str(model.classes[0]), truth, scores)
        return
    names = [str(c) for c in model.classes]
    label = st.selectbox("Label", names, key=f"{LABEL}.{model.id}")
    i = names.index(label)
    _explore(model, label, f"not {label}", truth[:, i], scores[:, i])


@st.fragment
def _explore(
    model: ModelRead, positive: str, negative: str, truth: np.ndarray, scores: np.ndarray
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
        key="models.threshold_matrix",
    )
    st.caption(f"On {len(scores):,} held-out texts; computed in the browser session.")
    if st.button("Use this threshold", key="models.threshold_save", icon=":material/save:"):
        update = ThresholdsUpdate(thresholds={positive: round(cut, 6)})
        saved = call("Saving the threshold", get_client().set_thresholds, model.id, update)
        if saved is not None:
            what = f"Threshold {cut:.3f}" + (f" for `{positive}`" if per_label else "")
            st.success(f"{what} saved: predictions use it now.")
