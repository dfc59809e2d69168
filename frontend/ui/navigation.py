"""The app's pages, built once here so that pages can link to each other by key."""

import importlib
import logging
from collections.abc import Callable
from dataclasses import dataclass

import streamlit as st
from streamlit.navigation.page import StreamlitPage

from ui import state
from ui.api_client import ApiError
from ui.components.backend import show_error
from ui.settings import get_settings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PageSpec:
    key: str  # the module under ui/pages and the URL path
    title: str
    icon: str


PAGES: tuple[PageSpec, ...] = (
    PageSpec("upload", "Upload data", ":material/upload_file:"),
    PageSpec("eda", "Explore (EDA)", ":material/insights:"),
    PageSpec("train", "Train", ":material/model_training:"),
    PageSpec("tasks", "Tasks", ":material/pending_actions:"),
    PageSpec("models", "Models", ":material/inventory_2:"),
    PageSpec("predict", "Predict", ":material/psychology:"),
    PageSpec("compare", "Compare (ROC)", ":material/stacked_line_chart:"),
)
_BY_KEY = {spec.key: spec for spec in PAGES}


def _runner(spec: PageSpec) -> Callable[[], None]:
    """The page's render(), behind the app's one error boundary: never a traceback."""

    def run() -> None:
        try:
            importlib.import_module(f"ui.pages.{spec.key}").render()
        except ApiError as error:
            show_error("Talking to the backend", error)
        except Exception as exc:
            log.exception("page %s failed", spec.key)
            st.error(
                f"**This page failed:** {type(exc).__name__}: {exc}. "
                "The frontend log (logs/frontend/) has the details.",
                icon=":material/error:",
            )
        finally:
            sidebar()  # after the page, so it shows what the page just selected

    run.__name__ = f"render_{spec.key}"
    return run


def page(key: str) -> StreamlitPage:
    spec = _BY_KEY[key]
    return st.Page(
        _runner(spec),
        title=spec.title,
        icon=spec.icon,
        url_path=spec.key,
        default=spec.key == PAGES[0].key,
    )


def all_pages() -> list[StreamlitPage]:
    return [page(spec.key) for spec in PAGES]


def sidebar() -> None:
    with st.sidebar:
        chosen = state.selection()
        if chosen is None:
            st.caption("No dataset selected yet.")
        else:
            st.caption(f"Dataset: {chosen.describe()}")
        st.caption(f"Backend: `{get_settings().backend_url}`")
