"""Frequency bars of several groups side by side (the classes of a dataset; the parts of
a QA dataset), in rows of at most MAX_COLUMNS."""

from collections.abc import Callable

import pandas as pd
import streamlit as st

from ui.components import charts

MAX_COLUMNS = 3


def per_group_bars(
    top: pd.DataFrame,
    column: str,
    order: list[str],
    key: str,
    title: Callable[[str], str] = lambda label: f"class {label}",
) -> None:
    """One bar chart per group of `order` that `top` has rows of (columns label, `column`,
    count), coloured as the group is on every chart."""
    shown = [label for label in order if (top["label"] == label).any()]
    if not shown:
        st.info("Nothing to count.")
        return
    for start in range(0, len(shown), MAX_COLUMNS):
        cols = st.columns(MAX_COLUMNS)
        for col, label in zip(cols, shown[start : start + MAX_COLUMNS], strict=False):
            colour = charts.class_colour(order, label)
            figure = charts.frequency_bars(top, column, label, colour, title=title(label))
            col.plotly_chart(figure, key=f"{key}.{label}")
