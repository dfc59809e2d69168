"""The app's pages, built once here so that pages can link to each other by key."""

import importlib
import logging
from collections.abc import Callable
from dataclasses import dataclass

import streamlit as st
from streamlit.delta_generator import DeltaGenerator
from streamlit.navigation.page import StreamlitPage

from ui import state
from ui.api_client import ApiError
from ui.components.backend import get_client, show_error
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
    PageSpec("label", "Label", ":material/label:"),
    PageSpec("monitor", "Monitor", ":material/monitoring:"),
    PageSpec("retrieval_explore", "Explore QA data", ":material/query_stats:"),
    PageSpec("retrieval_train", "Retrievers", ":material/travel_explore:"),
    PageSpec("retrieval_search", "Search contexts", ":material/search:"),
    PageSpec("retrieval_benchmark", "Retrieval latency", ":material/timer:"),
    PageSpec("retrieval_quality", "Retrieval quality", ":material/fact_check:"),
)
_BY_KEY = {spec.key: spec for spec in PAGES}


def _runner(spec: PageSpec) -> Callable[[], None]:
    def run() -> None:
        run_page(spec.key)

    run.__name__ = f"render_{spec.key}"
    return run


def run_page(key: str) -> None:
    """The page's render(), behind the app's one error boundary (never a traceback), with
    what every page shares: the selection from the URL, the sidebar, kept form state."""
    spec = _BY_KEY[key]
    state.keep_forms()
    try:
        restore_selection()
    except ApiError as error:
        show_error("Reading the dataset named in the URL", error)
    # before the page, so that a page that stops early keeps it; filled again after
    # the page, to show what the page just selected
    lines = st.sidebar.empty()
    sidebar(lines)
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
        sidebar(lines)
        state.show_selection_in_url()
        state.page_drawn(spec.key)


def page(key: str) -> StreamlitPage:
    spec = _BY_KEY[key]
    return st.Page(_runner(spec), title=spec.title, icon=spec.icon, url_path=spec.key)


def _open_first_page() -> None:
    """The app's root URL: Streamlit serves its default page there and nowhere else, so the
    default is this hidden one, which goes on to the first page at that page's own URL."""
    st.switch_page(page(PAGES[0].key))


def all_pages() -> list[StreamlitPage]:
    root = st.Page(
        _open_first_page, title="Start", url_path="start", default=True, visibility="hidden"
    )
    return [root, *(page(spec.key) for spec in PAGES)]


def restore_selection() -> None:
    """A reload or a shared link: the dataset (and its columns) the URL names."""
    if state.selection() is not None:
        return
    wanted = state.selection_in_url()
    if wanted is None:
        return
    dataset_id, text_column, label_column = wanted
    dataset = get_client().get_dataset(dataset_id)
    names = [c.name for c in dataset.columns]
    text, label = state.default_columns(names)
    state.select(
        state.Selection(
            dataset.id,
            dataset.name,
            text_column if text_column in names else text,
            label_column if label_column in names else label,
        )
    )


def sidebar(lines: DeltaGenerator) -> None:
    with lines.container():
        chosen = state.selection()
        if chosen is None:
            st.caption("No dataset selected yet.")
        else:
            st.caption(f"Dataset: {chosen.describe()}")
        st.caption(f"Backend: `{get_settings().backend_url}`")
