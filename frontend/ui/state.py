"""What the user chose that every page shares, kept in st.session_state."""

from collections.abc import Collection
from dataclasses import dataclass

import streamlit as st

TEXT_COLUMN_NAMES = ("comment_text", "text", "comment", "review", "content", "sentence")
LABEL_COLUMN_NAMES = ("toxic", "label", "target", "class", "sentiment", "y")
_SELECTION = "selection"
_URL_PARAMS = ("dataset", "text", "label")
_MODEL_PARAM = "model"
_MODELS_PARAM = "models"  # several models, comma-separated (ids never hold a comma)
_LAST_PAGE = "nav.last_page"
# the widgets (key prefixes) whose values last the session, not only while their page shows
KEPT_FORMS = (
    "train.kind",
    "train.name",
    "train.description",
    "train.label_names",
    "train.params.",
    "train.pre.",
    "train.test_size",
    "train.seed",
)


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
    for param in _URL_PARAMS:
        st.query_params.pop(param, None)


def selection_in_url() -> tuple[str, str, str] | None:
    """(dataset id, text column, label column) as the URL names them, if it names a dataset."""
    dataset_id = st.query_params.get("dataset")
    if not dataset_id:
        return None
    return dataset_id, st.query_params.get("text", ""), st.query_params.get("label", "")


def show_selection_in_url() -> None:
    """Put the selection in the URL (st.navigation drops query params on a page switch), so
    that a reload or a shared link opens the same dataset."""
    chosen = selection()
    if chosen is None:
        return
    wanted = {
        "dataset": chosen.dataset_id,
        "text": chosen.text_column,
        "label": chosen.label_column,
    }
    if any(st.query_params.get(k) != v for k, v in wanted.items()):
        st.query_params.update(wanted)


def start_picker_from_url(key: str, model_ids: Collection[str]) -> None:
    """Before a model picker (widget `key`) is first drawn, set it to the model the URL
    names (`?model=`), if it is one of `model_ids`: a reload or a shared link of the
    Predict or Models page opens that model."""
    wanted = st.query_params.get(_MODEL_PARAM)
    if key not in st.session_state and wanted in model_ids:
        st.session_state[key] = wanted


def show_model_in_url(model_id: str | None) -> None:
    if model_id and st.query_params.get(_MODEL_PARAM) != model_id:
        st.query_params[_MODEL_PARAM] = model_id


def models_in_url(model_ids: Collection[str]) -> list[str]:
    """The models the URL names (`?models=a,b`) that are among `model_ids`, in its order."""
    named = (st.query_params.get(_MODELS_PARAM) or "").split(",")
    return [i for i in dict.fromkeys(named) if i in model_ids]


def show_models_in_url(model_ids: list[str]) -> None:
    wanted = ",".join(model_ids)
    if not wanted:
        st.query_params.pop(_MODELS_PARAM, None)
    elif st.query_params.get(_MODELS_PARAM) != wanted:
        st.query_params[_MODELS_PARAM] = wanted


def keep_forms() -> None:
    """Keep the state of forms' widgets while their page is not shown: Streamlit forgets a
    widget's value after a run that did not draw it, but keeps a value set from code."""
    for key in [k for k in st.session_state if str(k).startswith(KEPT_FORMS)]:
        st.session_state[key] = st.session_state[key]


def default_columns(columns: list[str]) -> tuple[str, str]:
    """(text, label) columns to propose: the usual names when present (comment_text and
    toxic first), else the first column and the last other one."""
    text = next((c for c in TEXT_COLUMN_NAMES if c in columns), columns[0])
    rest = [c for c in columns if c != text] or columns
    label = next((c for c in LABEL_COLUMN_NAMES if c in rest), rest[-1])
    return text, label


def last_page() -> str | None:
    """The page the previous run drew (None on the session's first)."""
    return st.session_state.get(_LAST_PAGE)


def page_drawn(key: str) -> None:
    st.session_state[_LAST_PAGE] = key
