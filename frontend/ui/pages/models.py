"""Models: the registry as a table; load, unload, remove, import; one model's metrics,
per-class figures, curves and its misclassified held-out rows."""

from collections.abc import Callable

import pandas as pd
import streamlit as st

from shared.schemas import ModelRead, ModelStatus, ModelSummary
from ui import state
from ui.api_client import ApiError
from ui.components import charts
from ui.components.aliases import name_aliases
from ui.components.backend import call, call_or_stop, get_client, show_error
from ui.components.bundle_import import bundle_import
from ui.components.lineage import STARTED, lineage_panel
from ui.components.mistakes import mistakes
from ui.components.models import (
    TABLE_CONFIG,
    cached_models,
    forget_models,
    label_text,
    model_name,
    models_table,
    pick_model,
    threshold_figures_text,
)
from ui.components.param_labels import settings_table
from ui.components.preprocessing_report import preprocessing_report
from ui.components.tables import number_columns
from ui.components.thresholds import take_saved_pick, threshold_explorer
from ui.words import MISSING, counted

FLASH = "models.flash"
CONFIRM_REMOVE_ALL = "models.confirm_remove_all"
CONFIRM_REMOVE = "models.confirm_remove"  # the id of the model whose removal waits for a yes
PICKED = "models.picked"
TABLE_PICK = "models.table_pick"  # the table row last turned into a pick


def render() -> None:
    st.title("Models")
    if state.last_page() != "models":  # a new visit: the last one's training banner is done
        st.session_state.pop(STARTED, None)
    show_flash()
    client = get_client()
    models = call_or_stop("Listing the models", cached_models)
    imported = bundle_import()
    if imported is not None:
        forget_models()
        st.session_state[FLASH] = ("success", f"Imported as {model_name(imported)}.")
        st.session_state[PICKED] = imported.id
        st.rerun()
    if not models:
        st.info("No models yet: train one on the Train page, or import one above.")
        return
    datasets = call("Listing the datasets", client.list_datasets) or []
    table = models_table(models, datasets)
    event = st.dataframe(
        table,
        hide_index=True,
        column_config=TABLE_CONFIG,
        key="models.table",
        placeholder=MISSING,
        on_select="rerun",
        selection_mode="single-row",
    )
    pick_from_table(list(table["id"]), event.selection.rows if event else [])
    st.caption(
        "Click a row to pick that model. Test texts: the size of each model's held-out split."
    )
    remove_all_controls(models)
    st.divider()
    saved = take_saved_pick()  # a threshold just saved as a new version: show it
    if saved is not None:
        st.session_state[PICKED] = saved
    model = pick_model("Model", models, key=PICKED)
    if model is None:
        return
    actions(model)
    name_aliases(models, model.name)
    # the list is light: the metrics, curves and classes come with the model read whole
    whole = call(f"Reading {model_name(model)}", client.get_model, model.id)
    if whole is not None:
        newest = max(m.version for m in models if m.name == model.name)
        detail(whole, next_version=newest + 1)
        lineage_panel(whole, models, datasets)


def pick_from_table(ids: list[str], rows: list[int]) -> None:
    """A newly clicked row picks its model; the picker stays the user's otherwise."""
    clicked = ids[rows[0]] if rows and rows[0] < len(ids) else None
    if clicked is not None and clicked != st.session_state.get(TABLE_PICK):
        st.session_state[PICKED] = clicked
    st.session_state[TABLE_PICK] = clicked


def act(action: str, fn: Callable[..., object], *args: object) -> None:
    """A button callback: it runs before the page does, so the table shows the outcome."""
    try:
        fn(*args)
        st.session_state[FLASH] = ("success", f"{action}: done.")
    except ApiError as error:
        st.session_state[FLASH] = ("error", action, error)
    finally:
        forget_models()
        st.session_state[CONFIRM_REMOVE] = None


def remove_all() -> None:
    try:
        removed = get_client().remove_all_models().removed
        st.session_state[FLASH] = ("success", f"Removed {counted(len(removed), 'model')}.")
    except ApiError as error:
        st.session_state[FLASH] = ("error", "Removing all models", error)
    forget_models()
    st.session_state[CONFIRM_REMOVE_ALL] = False


def show_flash() -> None:
    flash = st.session_state.pop(FLASH, None)
    if flash is None:
        return
    if flash[0] == "success":
        st.success(flash[1], icon=":material/check:")
    else:
        show_error(flash[1], flash[2])


def actions(model: ModelSummary) -> None:
    client = get_client()
    what = model_name(model)
    ready = model.status == ModelStatus.READY
    cols = st.columns(3)
    if cols[0].button(
        "Load",
        key="models.load",
        disabled=not ready or model.loaded,
        icon=":material/memory:",
        help="Read the model into memory, to predict with it.",
    ):
        slow = " (a Keras model takes several seconds)" if model.kind.startswith("keras") else ""
        with st.spinner(f"Loading {what}{slow}…"):
            act(f"Loading {what}", client.load_model, model.id)
        st.rerun()
    named = ", ".join(f"{model.name}@{alias}" for alias in model.aliases)
    cols[1].button(
        "Unload",
        key="models.unload",
        disabled=not model.loaded,
        icon=":material/eject:",
        help="Free its memory; it stays in the registry."
        + (f" Predictions through {named} fail until it is loaded again." if named else ""),
        on_click=act,
        args=(f"Unloading {what}", client.unload_model, model.id),
    )
    cols[2].button(
        "Remove…",
        key="models.remove",
        disabled=model.is_default or bool(model.aliases),
        icon=":material/delete:",
        help="Default models stay."
        if model.is_default
        else (f"In use as {named}: move or delete the alias first." if named else None),
        on_click=lambda: st.session_state.update({CONFIRM_REMOVE: model.id}),
    )
    if named and model.loaded:
        st.caption(
            f"In use as {named}: unloading it makes predictions through the alias fail "
            "(409) until it is loaded again, and it cannot be removed while an alias names it."
        )
    if st.session_state.get(CONFIRM_REMOVE) != model.id:
        return
    st.warning(f"Remove {what} and its file for good?", icon=":material/warning:")
    yes, no = st.columns([1, 4])
    yes.button(
        "Yes, remove it",
        key="models.remove_yes",
        type="primary",
        on_click=act,
        args=(f"Removing {what}", client.remove_model, model.id),
    )
    no.button(
        "Cancel",
        key="models.remove_no",
        on_click=lambda: st.session_state.update({CONFIRM_REMOVE: None}),
    )


def remove_all_controls(models: list[ModelSummary]) -> None:
    removable = [
        m for m in models if not m.is_default and not m.aliases and m.status != ModelStatus.TRAINING
    ]
    if not st.session_state.get(CONFIRM_REMOVE_ALL):
        st.button(
            "Remove all models…",
            key="models.remove_all",
            disabled=not removable,
            icon=":material/delete_sweep:",
            on_click=lambda: st.session_state.update({CONFIRM_REMOVE_ALL: True}),
        )
        return
    st.warning(
        f"Remove {counted(len(removable), 'model')} for good? Default models, versions an alias "
        "names and models in training stay.",
        icon=":material/warning:",
    )
    yes, no = st.columns([1, 4])
    yes.button(
        "Yes, remove them",
        key="models.remove_all_yes",
        type="primary",
        on_click=remove_all,
    )
    no.button(
        "Cancel",
        key="models.remove_all_no",
        on_click=lambda: st.session_state.update({CONFIRM_REMOVE_ALL: False}),
    )


def detail(model: ModelRead, next_version: int | None = None) -> None:
    """One model read whole: what the list leaves out (curves, history, per-class figures)."""
    st.subheader(model_name(model))
    if model.description:
        st.markdown(model.description)
    if model.status == ModelStatus.CANCELLED:
        st.warning("**Training cancelled** before it finished.", icon=":material/cancel:")
    elif model.error:  # its own words, "training failed: …" among them
        st.error(
            f"**Not trained.** {model.error[:1].upper()}{model.error[1:]}", icon=":material/error:"
        )
    metrics = model.metrics
    if metrics is None:
        if not model.error and model.status != ModelStatus.CANCELLED:
            st.info(f"No metrics yet: the model is {model.status}.")
        return
    preprocessing_report(model)
    cols = st.columns(5)
    for col, (name, value) in zip(
        cols,
        [
            ("Accuracy", metrics.accuracy),
            ("Precision", metrics.precision),
            ("Recall", metrics.recall),
            ("F1", metrics.f1),
            ("ROC AUC", metrics.roc_auc),
        ],
        strict=True,
    ):
        col.metric(
            name,
            "—" if value is None else f"{value:.3f}",
            help=f"on {metrics.n_test:,} held-out texts",
        )
    took = f" in {model.train_seconds:.1f} s" if model.train_seconds is not None else ""
    labels = (
        "labels " + ", ".join(f"`{c}`" for c in model.label_columns)
        if model.label_columns
        else f"label `{model.label_column}`"
    )
    report = model.preprocessing_report
    moved = report.held_out_seen_by_parent if report else None
    share = (  # test_size, less the rows its parent had trained on (moved to training)
        f"{model.test_size:.0%} less the {moved:,} its parent trained on"
        if moved
        else f"{model.test_size:.0%}"
    )
    st.caption(
        f"Held-out test split: {metrics.n_test:,} texts ({share}); trained on "
        f"{metrics.n_train:,}{took}. Text `{model.text_column}`, {labels}."
    )
    estimate = threshold_figures_text(metrics)
    if estimate is not None:
        st.caption(estimate)
    what = "label" if model.label_columns else "class"
    if metrics.per_class:
        st.markdown(
            "**Per label** (each label on its own, on the held-out split)"
            if model.label_columns
            else "**Per class** (each class against the rest, on the held-out split)"
        )
        st.dataframe(
            pd.DataFrame(
                [
                    {
                        what: label_text(c.label, model.label_names),
                        "precision": c.precision,
                        "recall": c.recall,
                        "F1": c.f1,
                        "support": c.support,
                        **({"ROC AUC": c.roc_auc} if c.fpr else {}),  # one-vs-rest: 3+ classes
                    }
                    for c in metrics.per_class
                ]
            ),
            hide_index=True,
            key="models.per_class",
            placeholder=MISSING,
            column_config=number_columns(
                ("precision", "recall", "F1", "ROC AUC"), counts=("support",)
            ),
        )
    curves(model)
    threshold_explorer(model, next_version)
    if model.history:
        st.markdown("**Learning curves**")
        st.plotly_chart(charts.learning_curves(model.history), key="models.history")
    mistakes(model)
    with st.expander("Hyperparameters and preprocessing"):
        left, right = st.columns(2)
        left.markdown("**Hyperparameters**")
        left.dataframe(settings_table(model.params), hide_index=True, key="models.params")
        right.markdown("**Preprocessing**")
        right.dataframe(
            settings_table(model.preprocessing.model_dump()),
            hide_index=True,
            key="models.preprocessing",
        )


def curves(model: ModelRead) -> None:
    metrics = model.metrics
    assert metrics is not None
    left, right = st.columns(2)
    if not metrics.confusion_matrix:  # multi-label: no matrix, the curves take its place
        right = left
    else:
        left.markdown("**Confusion matrix**")
        left.plotly_chart(
            charts.confusion_matrix(
                metrics.confusion_matrix,
                [label_text(c, model.label_names) for c in model.classes],
            ),
            key="models.cm",
        )
    if metrics.roc_curve is not None:
        positive = label_text(metrics.positive_label, model.label_names)
        right.markdown(f"**ROC curve** (positive class `{positive}`)")
        auc = f" (AUC {metrics.roc_auc:.3f})" if metrics.roc_auc is not None else ""
        curve = (f"{model_name(model)}{auc}", metrics.roc_curve.fpr, metrics.roc_curve.tpr)
        right.plotly_chart(charts.roc_chart([curve]), key="models.roc")
    elif any(c.fpr for c in metrics.per_class):
        multilabel = bool(model.label_columns)
        right.markdown(
            "**ROC curve of each label**" if multilabel else "**One-vs-rest ROC curves**"
        )
        what = "label" if multilabel else "class"
        per_class = [
            (
                f"{what} {label_text(c.label, model.label_names)}"
                + (f" (AUC {c.roc_auc:.3f})" if c.roc_auc is not None else ""),
                c.fpr,
                c.tpr,
            )
            for c in metrics.per_class
            if c.fpr
        ]
        right.plotly_chart(charts.roc_chart(per_class), key="models.roc")
