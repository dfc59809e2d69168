"""The dataset every page works on: show it, or send the user to pick one."""

import streamlit as st

from ui import navigation, state


def require_selection(purpose: str = "this page") -> state.Selection:
    """The selected dataset; without one, a link to the Upload page and the page stops."""
    chosen = state.selection()
    if chosen is None:
        st.info(f"Pick or upload a dataset first: {purpose} works on it.", icon=":material/info:")
        st.page_link(navigation.page("upload"), label="Go to Upload data")
        st.stop()
    assert chosen is not None
    return chosen


def selection_caption(chosen: state.Selection) -> None:
    st.caption(f"Dataset {chosen.describe()}")
