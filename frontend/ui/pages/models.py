"""Models: the registry as a table; load, unload, remove; one model's metrics and curves."""

from collections.abc import Callable

import streamlit as st

from shared.schemas import ModelRead, ModelStatus
from ui.api_client import ApiError
from ui.components import charts
from ui.components.backend import call, call_or_stop, get_client, show_error
from ui.components.models import TABLE_CONFIG, model_name, models_table, pick_model

FLASH = "models.flash"
CONFIRM_REMOVE_ALL = "models.confirm_remove_all"


def render() -> None:
    st.title("Models")
    show_flash()
    client = get_client()
    models = call_or_stop("Listing the models", client.list_models)
    if not models:
        st.info("No models yet: train one on the Train page.")
        return
    datasets = call("Listing the datasets", client.list_datasets) or []
    st.dataframe(
        models_table(models, datasets),
        hide_index=True,
        column_config=TABLE_CONFIG,
        key="models.table",
    )
    remove_all_controls(models)
    st.divider()
    model = pick_model("Model", models, key="models.picked")
    if model is None:
        return
    actions(model)
    detail(model)


def act(action: str, fn: Callable[..., object], *args: object) -> None:
    """A button callback: it runs before the page does, so the table shows the outcome."""
    try:
        fn(*args)
        st.session_state[FLASH] = ("success", f"{action}: done.")
    except ApiError as error:
        st.session_state[FLASH] = ("error", action, error)


def remove_all() -> None:
    try:
        removed = get_client().remove_all_models().removed
        st.session_state[FLASH] = ("success", f"Removed {len(removed)} model(s).")
    except ApiError as error:
        st.session_state[FLASH] = ("error", "Removing all models", error)
    st.session_state[CONFIRM_REMOVE_ALL] = False


def show_flash() -> None:
    flash = st.session_state.pop(FLASH, None)
    if flash is None:
        return
    if flash[0] == "success":
        st.success(flash[1], icon=":material/check:")
    else:
        show_error(flash[1], flash[2])


def actions(model: ModelRead) -> None:
    client = get_client()
    what = model_name(model)
    ready = model.status == ModelStatus.READY
    cols = st.columns(3)
    cols[0].button(
        "Load",
        key="models.load",
        disabled=not ready or model.loaded,
        icon=":material/upload:",
        on_click=act,
        args=(f"Loading {what}", client.load_model, model.id),
    )
    cols[1].button(
        "Unload",
        key="models.unload",
        disabled=not model.loaded,
        icon=":material/download:",
        on_click=act,
        args=(f"Unloading {what}", client.unload_model, model.id),
    )
    cols[2].button(
        "Remove",
        key="models.remove",
        disabled=model.is_default,
        icon=":material/delete:",
        help="Default models stay." if model.is_default else None,
        on_click=act,
        args=(f"Removing {what}", client.remove_model, model.id),
    )


def remove_all_controls(models: list[ModelRead]) -> None:
    removable = [m for m in models if not m.is_default and m.status != ModelStatus.TRAINING]
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
        f"Remove {len(removable)} model(s) for good? Default models and models in training stay.",
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


def detail(model: ModelRead) -> None:
    st.subheader(model_name(model))
    if model.description:
        st.markdown(model.description)
    if model.status == ModelStatus.CANCELLED:
        st.warning("**Training cancelled** before it finished.", icon=":material/cancel:")
    elif model.error:
        st.error(f"**Training failed:** {model.error}", icon=":material/error:")
    metrics = model.metrics
    if metrics is None:
        st.info(f"No metrics: the model is {model.status}.")
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
        col.metric(name, "—" if value is None else f"{value:.3f}")
    took = f" in {model.train_seconds:.1f} s" if model.train_seconds is not None else ""
    st.caption(
        f"Held-out test split: {metrics.n_test:,} texts ({model.test_size:.0%}); trained on "
        f"{metrics.n_train:,}{took}. Text `{model.text_column}`, label `{model.label_column}`."
    )
    left, right = st.columns(2)
    if metrics.confusion_matrix:
        left.markdown("**Confusion matrix**")
        left.plotly_chart(
            charts.confusion_matrix(metrics.confusion_matrix, model.classes), key="models.cm"
        )
    if metrics.roc_curve is not None:
        right.markdown(f"**ROC curve** (positive class `{metrics.positive_label}`)")
        auc = f" (AUC {metrics.roc_auc:.3f})" if metrics.roc_auc is not None else ""
        curve = (
            f"{model_name(model)}{auc}",
            metrics.roc_curve.fpr,
            metrics.roc_curve.tpr,
        )
        right.plotly_chart(charts.roc_chart([curve]), key="models.roc")
    if model.history:
        st.markdown("**Learning curves**")
        st.plotly_chart(charts.learning_curves(model.history), key="models.history")
    with st.expander("Hyperparameters and preprocessing"):
        left, right = st.columns(2)
        left.json(model.params)
        right.json(model.preprocessing.model_dump())


def preprocessing_report(model: ModelRead) -> None:
    """What the fit's preprocessing removed, so a small n_train explains itself."""
    report = model.preprocessing_report
    if report is None:
        return
    removed = report.rows_read - report.rows_left
    text = (
        f"**Rows:** {report.rows_read:,} read; {report.unlabelled_dropped:,} without a label, "
        f"{report.empty_dropped:,} empty and {report.duplicates_dropped:,} duplicate texts "
        f"dropped; {report.rows_left:,} left for training and testing."
    )
    if removed > report.rows_read / 4:
        st.warning(text, icon=":material/filter_alt:")
    else:
        st.markdown(text)
