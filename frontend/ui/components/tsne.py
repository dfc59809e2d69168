"""The t-SNE map's button and progress: computed only once asked for, per data selection."""

from collections.abc import Callable

import pandas as pd
import streamlit as st


def requested_points(
    flag: str, button_key: str, compute: Callable[[], pd.DataFrame]
) -> pd.DataFrame | None:
    """The map's points once the user pressed the button for this selection (`flag` is
    remembered in the session); None before, or with a warning when they cannot be made.
    `compute` is cached: it moves no element of the page (see `data.tsne_map`)."""
    if st.button("Compute the t-SNE map", key=button_key, type="primary"):
        st.session_state[flag] = True
    if not st.session_state.get(flag):
        return None
    try:
        with st.spinner("TF-IDF vectors, TruncatedSVD, then t-SNE (the slow part)…"):
            return compute()
    except ValueError as exc:
        st.warning(f"No t-SNE map: {exc}.")
        return None
