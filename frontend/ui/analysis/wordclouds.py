"""Word-cloud images from word frequencies."""

import numpy as np
from wordcloud import WordCloud

from ui.analysis.fonts import needs_wide_font, wide_font

WIDTH, HEIGHT = 640, 320


class NoFontError(Exception):
    """The words need a font with their script, and none is installed."""


def word_cloud(
    frequencies: dict[str, int], *, seed: int = 42, font_folders: tuple[str, ...] | None = None
) -> np.ndarray | None:
    """An RGB image (height × width × 3), or None when there are no words. Words in
    Chinese, Japanese or Korean are drawn with an installed font that has them (searched
    in `font_folders`, by default the system's); without one, NoFontError (the library's
    own font would draw empty boxes)."""
    if not frequencies:
        return None
    font_path = None
    if needs_wide_font(list(frequencies)):
        font_path = wide_font(font_folders)
        if font_path is None:
            raise NoFontError
    cloud = WordCloud(
        width=WIDTH,
        height=HEIGHT,
        background_color="white",
        max_words=150,
        random_state=seed,
        collocations=False,
        font_path=font_path,
    )
    return cloud.generate_from_frequencies(frequencies).to_array()
