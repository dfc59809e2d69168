"""Model pickers and the registry as a table."""

import json
from collections.abc import Sequence

import pandas as pd
import streamlit as st

from shared.schemas import DatasetRead, Metrics, ModelRead, ModelSource, ModelSummary
from ui import state
from ui.api_client import ApiError
from ui.components.backend import get_client
from ui.components.tables import COUNT_FORMAT, SCORE_FORMAT, number_columns

# a model as listed, or read whole: the pickers and the table need only what both have
AnyModel = ModelSummary | ModelRead

# A small action (a prediction, a tab switch) reruns the page without asking the backend
# for the whole registry again; a change made here clears it at once (forget_models), one
# made elsewhere (another tab, the API) shows within this many seconds.
MODELS_TTL_S = 5.0


@st.cache_data(ttl=MODELS_TTL_S, show_spinner=False)
def cached_models() -> list[ModelSummary]:
    return get_client().list_models()


def cached_model(model_id: str) -> ModelSummary | None:
    """A model as the cached list has it (None: not in it, e.g. removed meanwhile)."""
    return next((m for m in cached_models() if m.id == model_id), None)


def forget_models() -> None:
    cached_models.clear()
    label_names.clear()


@st.cache_data(ttl=MODELS_TTL_S, show_spinner=False)
def label_names(model_id: str) -> dict[str, str]:
    """The display names a model's label values were given at fit (on its single read)."""
    try:
        return get_client().get_model(model_id).label_names
    except ApiError:  # removed meanwhile: the raw values will do
        return {}


def model_read(model_id: str) -> ModelRead | None:
    """The model's single read; None when it is gone meanwhile."""
    try:
        return get_client().get_model(model_id)
    except ApiError:  # removed meanwhile: nothing to say
        return None


def decision_threshold(model: ModelRead | None) -> tuple[str, float] | None:
    """A binary model's positive class and the threshold it is predicted from (None: the
    most probable class wins)."""
    if model is None or len(model.classes) != 2 or model.label_columns:
        return None
    cut = threshold_in_force(model)
    return None if cut is None else (str(model.classes[1]), cut)


def threshold_in_force(model: ModelRead, label: str | None = None) -> float | None:
    """The threshold `label` is predicted from (by default a binary model's positive
    class); None when the model has none for it."""
    wanted = str(model.classes[1]) if label is None and len(model.classes) > 1 else label
    for cut in model.thresholds.thresholds if model.thresholds else []:
        if str(cut.label) == wanted:
            return float(cut.threshold)
    return None


def label_text(label: object, names: dict[str, str]) -> str:
    """A label as shown: its display name with the value beside it, or the value alone."""
    name = names.get(str(label))
    return f"{name} ({label})" if name else str(label)


def model_name(model: AnyModel) -> str:
    return f"{model.name} v{model.version}"


def model_label(model: AnyModel) -> str:
    """For pickers: only what never changes, since a picker may keep showing an old label."""
    default = ", default" if model.is_default else ""
    return f"{model_name(model)} ({model.kind}{default})"


def pick_model(
    label: str, models: Sequence[ModelSummary], key: str, *, help: str | None = None
) -> ModelSummary | None:
    """A model picker that starts on the model the URL names and puts its pick there."""
    if not models:
        return None
    by_id = {m.id: m for m in models}
    state.start_picker_from_url(key, by_id)
    picked = st.selectbox(
        label, list(by_id), format_func=lambda i: model_label(by_id[i]), key=key, help=help
    )
    state.show_model_in_url(picked)
    return by_id.get(picked) if picked else None


def pick_models(
    label: str,
    models: Sequence[ModelSummary],
    key: str,
    default: Sequence[str] = (),
    *,
    from_url: bool = True,
) -> list[ModelSummary]:
    """A picker of several models that starts on those the URL names (else, or without
    `from_url`, on `default`) and puts its picks there: a reload or a shared link of the
    Compare page keeps them."""
    by_id = {m.id: m for m in models}
    named = state.models_in_url(by_id) if from_url else []
    picked = st.multiselect(
        label,
        list(by_id),
        default=named or [i for i in default if i in by_id],
        format_func=lambda i: model_label(by_id[i]),
        key=key,
    )
    state.show_models_in_url(picked)
    return [by_id[i] for i in picked]


def compact_params(params: dict[str, object]) -> str:
    return ", ".join(f"{k}={json.dumps(v)}" for k, v in params.items())


def models_table(models: Sequence[ModelSummary], datasets: Sequence[DatasetRead]) -> pd.DataFrame:
    names = {d.id: d.name for d in datasets}
    rows = []
    for m in models:
        metrics = m.metrics
        rows.append(
            {
                "name": m.name,
                "version": m.version,
                "kind": str(m.kind),
                "status": str(m.status),
                "default": m.is_default,
                "loaded": m.loaded,
                "aliases": ", ".join(m.aliases),
                "accuracy": metrics.accuracy if metrics else None,
                "f1": metrics.f1 if metrics else None,
                "roc_auc": metrics.roc_auc if metrics else None,
                # the metrics come from each model's own held-out split: its size
                "test texts": metrics.n_test if metrics else None,
                "dataset": datasets_label(m, names),
                "created": m.created_at.astimezone().strftime("%Y-%m-%d %H:%M"),
                "params": compact_params(m.params),
                "id": m.id,
            }
        )
    return pd.DataFrame(rows)


def datasets_label(model: AnyModel, names: dict[str, str]) -> str:
    """The datasets a retrain on both read, joined with "+"; else `dataset_label`."""
    if model.source == ModelSource.RETRAIN and len(model.lineage_datasets) > 1:
        return " + ".join(
            names.get(d.id or "") or f"{d.name or d.id} (deleted)" for d in model.lineage_datasets
        )
    return dataset_label(model, names)


def dataset_label(model: AnyModel, names: dict[str, str]) -> str:
    """The dataset's name now, or as it was at fit when it has been deleted since (or the
    version was imported: its dataset was never here)."""
    if model.dataset_id and model.dataset_id in names:
        return names[model.dataset_id]
    if model.dataset_name:
        if model.dataset_id is not None:
            return model.dataset_name
        return f"{model.dataset_name} ({'imported' if imported(model) else 'deleted'})"
    return model.dataset_id or ""


def imported(model: AnyModel) -> bool:
    """Whether the version was imported from a bundle, or copies one with other thresholds:
    the data its fit read is not in this installation (`dataset_id` None, never deleted)."""
    seen: set[str] = set()
    while model.source == ModelSource.THRESHOLDS and model.parent_id not in (None, *seen):
        seen.add(model.parent_id or "")
        parent = next((m for m in cached_models() if m.id == model.parent_id), None)
        if parent is None:  # removed since: its own dataset_id was copied from it
            return False
        model = parent
    return model.source == ModelSource.IMPORT


def no_held_out(model: AnyModel, done: str) -> str:
    """Why the held-out split of a version without a dataset cannot be `done` (scored,
    made) again: its dataset was deleted, or it was imported and its data was never here."""
    if imported(model):
        return (
            "Imported: its training data is not in this installation, so the held-out split "
            f"cannot be {done} here."
        )
    return f"Its dataset was deleted: the held-out split cannot be {done} again."


TABLE_CONFIG = {
    **number_columns(("accuracy",)),
    "f1": st.column_config.NumberColumn("F1", format=SCORE_FORMAT),
    "roc_auc": st.column_config.NumberColumn("ROC AUC", format=SCORE_FORMAT),
    "test texts": st.column_config.NumberColumn(
        format=COUNT_FORMAT,
        help="How many held-out texts the metrics were measured on (each model's own split)",
    ),
    "aliases": st.column_config.TextColumn(
        width="medium",  # "production, staging" whole, not cut at "product"
        help="Its name's aliases that point at this version (name@alias in the API)",
    ),
    "params": st.column_config.TextColumn(width="large"),
    "default": st.column_config.CheckboxColumn(),
    "loaded": st.column_config.CheckboxColumn(),
}


def threshold_figures_text(metrics: Metrics) -> str | None:
    """What the figures that depend on the threshold are, in words; None when nothing was
    chosen on the held-out texts (thresholds set by hand, the most probable class) or the
    metrics do not say (stored before they did)."""
    kind = metrics.threshold_figures
    note = f" ({metrics.threshold_figures_note})" if metrics.threshold_figures_note else ""
    if kind == "cross_fitted":
        return (
            "The figures that depend on the threshold are cross-fitted: each held-out text is "
            "decided at a threshold chosen on the other half of the split, as on new texts "
            "(the threshold in force is chosen on the whole split; ROC AUC does not depend "
            "on it)."
        )
    if kind == "partly_cross_fitted":
        return (
            "The figures that depend on the threshold are cross-fitted (each held-out text "
            "decided at a threshold chosen on the other half of the split), except for some "
            f"labels, measured on the texts their threshold was chosen on{note}."
        )
    if kind == "in_sample":
        return (
            "The figures that depend on the threshold are measured on the texts it was "
            f"chosen on, so they are optimistic{note}."
        )
    return None
