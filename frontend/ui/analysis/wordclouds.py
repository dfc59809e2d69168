"""Word-cloud images from word frequencies."""

import numpy as np
from wordcloud import WordCloud

WIDTH, HEIGHT = 640, 320


def word_cloud(frequencies: dict[str, int], *, seed: int = 42) -> np.ndarray | None:
    """An RGB image (height × width × 3), or None when there are no words."""
    if not frequencies:
        return None
    cloud = WordCloud(
        width=WIDTH,
        height=HEIGHT,
        background_color="white",
        max_words=150,
        random_state=seed,
        collocations=False,
    )
    return cloud.generate_from_frequencies(frequencies).to_array()
