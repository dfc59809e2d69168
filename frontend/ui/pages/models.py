"""Models: the registry as a table; load, unload, remove, import; one model's metrics,
per-class figures, curves and its misclassified held-out rows."""

from collections.abc import Callable

import streamlit as st

from shared.schemas import ModelStatus, ModelSummary
from ui import state
from ui.api_client import ApiError
from ui.components.aliases import name_aliases
from ui.components.backend import call, call_or_stop, get_client, show_error
from ui.components.bundle_import import bundle_import
from ui.components.lineage import STARTED, lineage_panel
from ui.components.model_detail import detail
from ui.components.models import (
    TABLE_CONFIG,
    cached_models,
    forget_models,
    model_name,
    models_table,
    pick_model,
)
from ui.components.thresholds import take_saved_pick
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
