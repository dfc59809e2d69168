"""The t-SNE map's button and progress: computed only once asked for, per data selection."""

from collections.abc import Callable

import pandas as pd
import streamlit as st

Progress = Callable[[float, str], None]


def requested_points(
    flag: str, button_key: str, compute: Callable[[Progress], pd.DataFrame]
) -> pd.DataFrame | None:
    """The map's points once the user pressed the button for this selection (`flag` is
    remembered in the session); None before, or with a warning when they cannot be made."""
    if st.button("Compute the t-SNE map", key=button_key, type="primary"):
        st.session_state[flag] = True
    if not st.session_state.get(flag):
        return None
    bar = st.progress(0.0, text="Starting…")

    def report(fraction: float, message: str) -> None:
        bar.progress(fraction, text=message)

    try:
        points = compute(report)
    except ValueError as exc:
        bar.empty()
        st.warning(f"No t-SNE map: {exc}.")
        return None
    bar.empty()
    return points
