"""What the user chose that every page shares, kept in st.session_state."""

from dataclasses import dataclass

import streamlit as st

TEXT_COLUMN_NAMES = ("comment_text", "text", "comment", "review", "content", "sentence")
LABEL_COLUMN_NAMES = ("toxic", "label", "target", "class", "sentiment", "y")
_SELECTION = "selection"


@dataclass(frozen=True)
class Selection:
    """The dataset the pages work on, and which of its columns hold the text and the label."""

    dataset_id: str
    dataset_name: str
    text_column: str
    label_column: str

    def describe(self) -> str:
        return f"**{self.dataset_name}** · text `{self.text_column}` · label `{self.label_column}`"


def selection() -> Selection | None:
    return st.session_state.get(_SELECTION)


def select(chosen: Selection) -> None:
    st.session_state[_SELECTION] = chosen


def clear_selection() -> None:
    st.session_state.pop(_SELECTION, None)


def default_columns(columns: list[str]) -> tuple[str, str]:
    """(text, label) columns to propose: the usual names when present (comment_text and
    toxic first), else the first column and the last other one."""
    text = next((c for c in TEXT_COLUMN_NAMES if c in columns), columns[0])
    rest = [c for c in columns if c != text] or columns
    label = next((c for c in LABEL_COLUMN_NAMES if c in rest), rest[-1])
    return text, label
