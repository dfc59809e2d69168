"""The Train page's choice of more label columns: with any, the fit is multi-label (each
column 0/1, one probability per label)."""

import streamlit as st

from shared.schemas import DatasetRead

KEY = "train.more_labels"
LABEL_DTYPES = ("int", "bool")  # the dataset summary's types that can hold 0/1


def more_label_columns(dataset: DatasetRead, text_column: str, label_column: str) -> list[str]:
    """The extra label columns the user picked (none: a model of one label column)."""
    # a label column holds 0/1: an integer or boolean column (a text or an id is none)
    options = [
        c.name
        for c in dataset.columns
        if c.name not in (text_column, label_column) and c.dtype in LABEL_DTYPES
    ]
    return st.multiselect(
        "More label columns (multi-label)",
        options,
        help=f"Pick further 0/1 columns to predict beside `{label_column}`: the model then "
        "gives each label its own probability, and a text can have several labels (or none).",
        key=KEY,
    )


def label_columns_of(label_column: str, more: list[str]) -> list[str] | None:
    return [label_column, *more] if more else None
