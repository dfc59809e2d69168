"""Compare's results: which models were scored on rows they trained on, the ROC and
precision-recall curves of binary models side by side (ranked only when every model was
scored fairly on held-out splits of one size), a multiclass model's one-vs-rest curves,
and the per-class figures."""

import pandas as pd
import streamlit as st

from shared.schemas import ModelSummary, ScoreResult
from ui.analysis.evaluation import (
    BEST_MARK,
    ModelCurves,
    base_rate,
    comparison_table,
    model_curves,
)
from ui.components import charts
from ui.components.models import model_name
from ui.components.tables import number_columns
from ui.words import MISSING

# held-out splits of one dataset a few rows apart (their cleaning differs) still rank
SIZE_SLACK = 1.1


def show_comparison(results: list[ScoreResult], models: dict[str, ModelSummary]) -> None:
    names = {
        r.model_id: model_name(models[r.model_id]) if r.model_id in models else r.model_id
        for r in results
    }
    optimistic = [trained_rows(names[r.model_id], r) for r in results if r.includes_training_rows]
    if optimistic:
        st.warning(
            "Scored on rows they were trained on, so their figures are optimistic and no "
            "model is marked best: " + "; ".join(optimistic) + ". Score them on the held-out "
            "split for a fair ranking.",
            icon=":material/warning:",
        )
    binary = [r for r in results if r.positive_label is not None]
    curves = [
        model_curves(
            names[r.model_id],
            r.labels or [],
            r.scores,
            r.positive_label,
            roc_auc=r.roc_auc,
            fpr=r.fpr,
            tpr=r.tpr,
        )
        for r in binary
    ]
    st.caption(rows_caption(results, names))
    # a ranking needs like rows for every model: each one's held-out split of this dataset
    # (a few rows apart when their cleaning differs), or every row; not one on 4,000
    # held-out rows and another on all 20,000
    one_split = len({r.split for r in binary}) <= 1
    sizes = [r.n_rows for r in binary]
    # a version that learnt from other data too (a continuation on another file, a
    # retrain on both) is held out on its own rows: not those of the others
    like_sizes = not sizes or max(sizes) <= SIZE_SLACK * max(min(sizes), 1)
    alike = one_split and like_sizes
    if curves and not alike and not optimistic:
        st.caption(
            "No model is marked best: some were scored on their held-out split, others on "
            "every row."
            if not one_split
            else f"No model is marked best: they were scored on different rows "
            f"({min(sizes):,} to {max(sizes):,}: some learnt from other data as well, and "
            "are held out on their own rows)."
        )
    if curves:
        show_binary(binary, curves, mark_best=not optimistic and alike)
    for result in results:
        if result.positive_label is None:
            show_multiclass(result, names[result.model_id])
    st.markdown(per_class_heading(results))
    st.dataframe(
        per_class_table(results, names),
        hide_index=True,
        key="compare.per_class",
        placeholder=MISSING,
        column_config=number_columns(("precision", "recall", "F1", "ROC AUC"), counts=("support",)),
    )
    st.caption(
        "Precision, recall and F1 are at each model's decision threshold in force, on these "
        "very rows. On a held-out split that is in sample (the threshold was chosen on those "
        "rows), where the Models page's figures are cross-fitted: they differ a little, "
        "most for a rare class. ROC AUC does not depend on the threshold."
    )


def trained_rows(name: str, result: ScoreResult) -> str:
    """A model scored on rows it trained on, with how many when its bundle tells."""
    if result.training_rows is None:
        return name
    return f"{name} ({result.training_rows:,} of its {result.n_rows:,} rows)"


def rows_caption(results: list[ScoreResult], names: dict[str, str]) -> str:
    def where(r: ScoreResult) -> str:
        if r.split == "test":
            return "its held-out split"
        return "every row, its training rows included" if r.includes_training_rows else "every row"

    return "Scored on: " + "; ".join(
        f"{names[r.model_id]} — {r.n_rows:,} texts ({where(r)})" for r in results
    )


def show_binary(results: list[ScoreResult], curves: list[ModelCurves], *, mark_best: bool) -> None:
    positive = results[0].positive_label
    left, right = st.columns(2)
    with left:
        st.markdown(f"**ROC curves** (positive class `{positive}`)")
        roc = [(legend(c.name, "AUC", c.roc_auc), c.fpr, c.tpr) for c in curves if c.fpr]
        st.plotly_chart(charts.roc_chart(roc), key="compare.roc")
    with right:
        st.markdown("**Precision-recall curves**")
        pr = [(legend(c.name, "AP", c.average_precision), c.recall, c.precision) for c in curves]
        rate = base_rate(results[0].labels or [], positive)
        st.plotly_chart(charts.pr_chart(pr, rate), key="compare.pr")
    st.markdown(
        "**Metrics**, best ROC AUC first (average precision breaks a tie)"
        + (f"; “{BEST_MARK}” marks the first" if mark_best else "")
        + ". Best F1: over all thresholds of the model's score."
    )
    table = comparison_table(curves, mark_best=mark_best)
    rows = {c.name: r.n_rows for c, r in zip(curves, results, strict=True)}
    table.insert(list(table.columns).index("model") + 1, "texts", table["model"].map(rows))
    st.dataframe(
        table,
        hide_index=True,
        key="compare.table",
        placeholder=MISSING,
        column_config=number_columns(
            ("ROC AUC", "average precision", "best F1", "at threshold"), counts=("texts",)
        ),
    )


def show_multiclass(result: ScoreResult, name: str) -> None:
    what, many = ("label", "labels") if result.multilabel else ("class", "classes")
    title = "ROC curve of each label" if result.multilabel else "one-vs-rest ROC curves"
    st.markdown(f"**{name}: {title}** ({len(result.per_class)} {many})")
    curves = [
        (legend(f"{what} {c.label}", "AUC", c.roc_auc), c.fpr, c.tpr)
        for c in result.per_class
        if c.fpr
    ]
    st.plotly_chart(charts.roc_chart(curves), key=f"compare.roc.{result.model_id}")


def per_class_table(results: list[ScoreResult], names: dict[str, str]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "model": names[r.model_id],
                "class": str(c.label),
                "precision": c.precision,
                "recall": c.recall,
                "F1": c.f1,
                "support": c.support,
                "ROC AUC": c.roc_auc if c.roc_auc is not None else r.roc_auc,
            }
            for r in results
            for c in r.per_class
        ]
    )


def legend(name: str, metric: str, value: float | None) -> str:
    return f"{name} — {metric} {value:.3f}" if value is not None else name


def per_class_heading(results: list[ScoreResult]) -> str:
    """A multi-label model's rows are its labels, each its own yes/no question."""
    labels = [bool(r.multilabel) for r in results]
    if all(labels):
        return "**Per label** (each label on its own)"
    if any(labels):
        return "**Per class or label** (a class against the rest; a label on its own)"
    return "**Per class** (each class against the rest)"
