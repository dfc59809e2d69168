"""A model version's lineage (its parent, how it was made, the datasets it saw) and the
actions that make the next version from it: retrain, continue training; and its bundle
file to download. Shown under a model on the Models page."""

from collections.abc import Sequence

import pandas as pd
import streamlit as st

from shared.schemas import (
    DatasetRead,
    FitAccepted,
    IncrementalRequest,
    ModelRead,
    ModelSource,
    ModelStatus,
    ModelSummary,
    RetrainRequest,
)
from ui.components.backend import call, get_client
from ui.components.models import forget_models, model_name, model_read
from ui.components.started_task import remember_started, started_banner
from ui.components.tables import number_columns
from ui.words import MISSING, counted

# the kinds that continue training on new rows; the others are retrained
CONTINUABLE = ("sgd", "keras_cnn", "keras_bilstm")
SOURCES = {
    ModelSource.FIT: "fitted from scratch",
    ModelSource.RETRAIN: "retrained from scratch like its parent",
    ModelSource.INCREMENTAL: "its parent trained further on new rows",
    ModelSource.FEEDBACK: "its parent trained on feedback",
    ModelSource.IMPORT: "imported from a bundle file",
    ModelSource.THRESHOLDS: "its parent with other decision thresholds, not retrained",
}
DATA_CHOICES = {
    "parent": "The parent's data (every dataset it learnt from)",
    "new": "Another dataset",
    "both": "Both, concatenated (repeated rows dropped)",
}
STARTED = "lineage.started"  # the last retrain or continuation started here (started_task)
BUNDLE = "lineage.bundle"  # (model id, bytes, sha256) of the bundle fetched for download


def lineage_panel(
    model: ModelRead, models: Sequence[ModelSummary], datasets: Sequence[DatasetRead]
) -> None:
    st.markdown("**Lineage**")
    show_lineage(model, models)
    if model.status == ModelStatus.READY:
        # a key: the tab picked stays picked when a button in it reruns the page
        retrain_tab, continue_tab, download_tab = st.tabs(
            ["Retrain", "Continue training", "Download"], key="lineage.tabs", on_change="rerun"
        )
        with retrain_tab:
            retrain_form(model, datasets)
        with continue_tab:
            continue_form(model, datasets)
        with download_tab:
            download(model)
    started_banner(STARTED)  # whichever version is shown: it names the one being trained


def feedback_comparison(model: ModelRead) -> None:
    """A retrain from feedback against its parent, as its fit compared them: why an alias
    moved to it, or did not."""
    comparison = model.metrics.comparison if model.metrics else None
    if comparison is None:
        return
    rows = []
    for where, scores in (
        ("the parent's held-out split", comparison.parent_holdout),
        ("held-out feedback", comparison.feedback_holdout),
    ):
        if scores is None:
            continue
        for version, figures in (("parent", scores.parent), ("this version", scores.new)):
            rows.append(
                {
                    "scored on": where,
                    "version": version,
                    "texts": figures.n,
                    "accuracy": figures.accuracy,
                    "macro F1": figures.macro_f1,
                    "ROC AUC": figures.roc_auc,
                }
            )
    verdict = "better" if comparison.better else "not better"
    why = (
        "on held-out feedback (macro F1, then ROC AUC on a tie)"
        if comparison.feedback_holdout is not None
        else "(no feedback was held out: a single text is never enough to say)"
    )
    alias = (
        f" The alias `{comparison.move_alias}` moved to it only if better."
        if comparison.move_alias
        else ""
    )
    st.markdown(
        f"**Against its parent:** {verdict} {why}; "
        f"{counted(comparison.feedback_train_rows, 'feedback label')} trained it.{alias}"
    )
    st.dataframe(
        pd.DataFrame(rows),
        hide_index=True,
        key="lineage.comparison",
        column_config=number_columns(scores=("accuracy", "macro F1", "ROC AUC"), counts=("texts",)),
        placeholder=MISSING,
    )


def _started(accepted: FitAccepted, parent: ModelRead, what: str) -> None:
    """Follow the new version's training in the banner, by its name and version."""
    forget_models()
    new = model_read(accepted.model_id)
    remember_started(STARTED, accepted, model_name(new) if new else parent.name, what)


def show_lineage(model: ModelRead, models: Sequence[ModelSummary]) -> None:
    text = f"**Source:** {model.source} — {SOURCES.get(model.source, '')}."
    if model.parent_id is not None:
        parent = next((m for m in models if m.id == model.parent_id), None)
        name = model_name(parent) if parent else f"{model.name} v{model.parent_version}"
        gone = "" if parent else " (removed since)"
        text += f" **Parent:** {name}{gone}, id `{model.parent_id}`."
    st.markdown(text)
    feedback_comparison(model)
    if not model.lineage_datasets:
        return
    st.dataframe(
        pd.DataFrame(
            [
                {
                    "dataset": d.name,
                    "rows": d.rows,
                    "sha256": (d.sha256 or "")[:12],
                    "id": d.id,
                }
                for d in model.lineage_datasets
            ]
        ),
        hide_index=True,
        key="lineage.datasets",
        column_config=number_columns(counts=("rows",)),
        placeholder=MISSING,
    )


def _pick_dataset(model: ModelRead, datasets: Sequence[DatasetRead], key: str) -> str | None:
    """A dataset with the columns the model reads (its text and labels): another one would
    be refused after the click."""
    wanted = [model.text_column, *(model.label_columns or [model.label_column])]
    usable = [d for d in datasets if set(wanted) <= {c.name for c in d.columns}]
    if not usable:
        columns = " and ".join(f"`{c}`" for c in wanted)
        st.info(
            f"No stored dataset has the columns {model.name} reads ({columns}): upload one "
            "that has them on the Upload page."
        )
        return None
    names = {d.id: f"{d.name} ({d.rows:,} rows)" for d in usable}
    return st.selectbox("Dataset", list(names), format_func=names.__getitem__, key=key)


def retrain_form(model: ModelRead, datasets: Sequence[DatasetRead]) -> None:
    st.caption(
        f"A new version of {model.name}, trained from scratch with the same kind, "
        "hyperparameters and preprocessing."
    )
    data = st.radio(
        "Train on",
        list(DATA_CHOICES),
        format_func=DATA_CHOICES.__getitem__,
        horizontal=True,
        key="lineage.retrain_data",
    )
    dataset_id = None
    if data != "parent":
        dataset_id = _pick_dataset(model, datasets, "lineage.retrain_dataset")
        if dataset_id is None:
            return
    if st.button("Retrain", key="lineage.retrain", icon=":material/replay:"):
        request = RetrainRequest.model_validate({"data": data, "dataset_id": dataset_id})
        accepted = call(
            f"Retraining {model_name(model)}", get_client().retrain_model, model.id, request
        )
        if accepted is not None:
            _started(accepted, model, "Retraining")


def continue_form(model: ModelRead, datasets: Sequence[DatasetRead]) -> None:
    if model.kind not in CONTINUABLE:
        st.info(
            f"A {model.kind} model cannot continue training (its vocabulary and classifier "
            f"are fitted at once): retrain it on both datasets instead. Kinds that continue: "
            f"{', '.join(CONTINUABLE)}.",
            icon=":material/info:",
        )
        return
    st.caption(
        "A new version: this model trained further on the new rows. Its vocabulary (for "
        "sgd, its word weights) stays as its first fit made it, so rows of another language "
        "or domain teach it little: the new version says how many of their words it knew. "
        f"The rows need its columns `{model.text_column}` and `{model.label_column}`, no "
        "class it does not know, and two classes or more with 2 rows each: a part of them "
        "is held out to score the new version."
    )
    dataset_id = _pick_dataset(model, datasets, "lineage.continue_dataset")
    epochs = st.number_input(
        "Epochs",
        min_value=1,
        max_value=200,
        value=3,
        key="lineage.epochs",
        help="Passes over the new rows.",
    )
    if dataset_id is not None and st.button(
        "Continue training", key="lineage.continue", icon=":material/fast_forward:"
    ):
        request = IncrementalRequest(dataset_id=dataset_id, epochs=int(epochs))
        accepted = call(
            f"Continuing {model_name(model)}", get_client().continue_training, model.id, request
        )
        if accepted is not None:
            _started(accepted, model, "Continuing training")


def download(model: ModelRead) -> None:
    st.caption(
        "The version's bundle file, to import into another installation (its Models "
        "page's import, or POST /api/v1/models/import) with the sha256 shown here."
    )
    if st.button("Prepare the file", key="lineage.prepare", icon=":material/download:"):
        fetched = call(
            f"Reading {model_name(model)}'s file", get_client().download_bundle, model.id
        )
        if fetched is not None:
            st.session_state[BUNDLE] = (model.id, *fetched)
    bundle = st.session_state.get(BUNDLE)
    if bundle is None or bundle[0] != model.id:
        return
    st.download_button(
        "Download the bundle",
        data=bundle[1],
        file_name=f"{model.name}-v{model.version}.zip",
        mime="application/zip",
        key="lineage.download",
    )
    st.caption(f"sha256 `{bundle[2]}`")
