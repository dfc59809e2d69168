"""One model read whole on the Models page: what its fit's preprocessing did, its
metrics at its decision thresholds, per class, its confusion matrix, ROC and precision-
recall curves, its mistakes and its training history."""

import pandas as pd
import streamlit as st

from shared.schemas import ModelRead, ModelStatus
from ui.components import charts
from ui.components.mistakes import mistakes
from ui.components.models import (
    label_text,
    model_name,
    threshold_figures_text,
)
from ui.components.param_labels import settings_table
from ui.components.preprocessing_report import preprocessing_report
from ui.components.tables import number_columns
from ui.components.thresholds import threshold_explorer
from ui.words import MISSING


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
