"""Word-cloud images on a page, and a note for those the server could not draw."""

from collections.abc import Mapping

import numpy as np
import streamlit as st

from ui.analysis.fonts import INSTALL_HINT


def drawn(images: Mapping[str, np.ndarray | None]) -> dict[str, np.ndarray]:
    """The images that were drawn; where some could not be (their words need a font the
    server lacks), a note that says what to install."""
    if any(image is None for image in images.values()):
        st.info(
            "Some words are Chinese, Japanese or Korean, and the server has no font with "
            f"their characters to draw them: install one there ({INSTALL_HINT}) and "
            "restart the UI. The tokens and n-grams lists show the same words.",
            icon=":material/info:",
        )
    return {label: image for label, image in images.items() if image is not None}
