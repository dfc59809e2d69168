"""A 2-D map of the texts: TF-IDF vectors, reduced by TruncatedSVD, then embedded by t-SNE."""

from collections.abc import Callable

import numpy as np
import pandas as pd
from sklearn.decomposition import TruncatedSVD
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.manifold import TSNE

SVD_COMPONENTS = 50
MAX_FEATURES = 20_000
HOVER_CHARS = 120
MIN_PER_CLASS = 10
# 250 early-exaggeration steps + 500 more: the map has settled by then, at 3/4 the time
TSNE_ITERATIONS = 750


def class_quotas(
    sizes: dict[str, int], max_rows: int, floor: int = MIN_PER_CLASS
) -> dict[str, int]:
    """Rows to draw per class: proportional, at least `floor` (or all) of each, at most max_rows."""
    total = sum(sizes.values())
    quotas = {c: max(min(n, floor), n * max_rows // max(total, 1)) for c, n in sizes.items()}
    excess = sum(quotas.values()) - max_rows
    for label in sorted(quotas, key=quotas.__getitem__, reverse=True):
        if excess <= 0:
            break
        cut = min(excess, quotas[label] - min(sizes[label], floor))
        quotas[label] -= cut
        excess -= cut
    return quotas


def sample_rows(labels: pd.Series, max_rows: int, seed: int) -> np.ndarray:
    """Row positions of a random sample that keeps every class (at least a few rows each)."""
    labels = labels.astype(str).reset_index(drop=True)
    if len(labels) <= max_rows:
        return np.arange(len(labels))
    rng = np.random.default_rng(seed)
    groups = {str(label): group.index.to_numpy() for label, group in labels.groupby(labels)}
    quotas = class_quotas({label: len(rows) for label, rows in groups.items()}, max_rows)
    chosen = [rng.choice(groups[label], size=quotas[label], replace=False) for label in groups]
    return np.sort(np.concatenate(chosen))


def tsne_points(
    texts: pd.Series,
    labels: pd.Series,
    *,
    max_rows: int = 3000,
    seed: int = 42,
    words: Callable[[str], list[str]] | None = None,
) -> pd.DataFrame:
    """Columns x, y, label and text (shortened, for hover) for a sample of at most max_rows.
    `words` cuts a text into its words (jieba's for Chinese, as the other EDA tabs count
    them); None: scikit-learn's word pattern, which takes a Chinese phrase for one word."""
    texts = texts.fillna("").astype(str).reset_index(drop=True)
    labels = labels.astype(str).reset_index(drop=True)
    rows = sample_rows(labels, max_rows, seed)
    sample, sample_labels = texts.iloc[rows], labels.iloc[rows]
    if len(sample) < 5:
        raise ValueError("t-SNE needs at least 5 texts")

    vectors = TfidfVectorizer(
        max_features=MAX_FEATURES,
        sublinear_tf=True,
        min_df=2 if len(sample) > 50 else 1,
        **({"analyzer": words} if words is not None else {}),
    ).fit_transform(sample)
    components = max(2, min(SVD_COMPONENTS, vectors.shape[1] - 1, len(sample) - 1))
    # identical vectors make the explained-variance ratio 0/0: the check below says so
    with np.errstate(invalid="ignore", divide="ignore"):
        reduced = TruncatedSVD(n_components=components, random_state=seed).fit_transform(vectors)
    if np.ptp(reduced, axis=0).max() < 1e-9:
        # t-SNE's PCA start divides by a spread of zero (and its Barnes-Hut step crashes)
        raise ValueError("the texts have the same TF-IDF vector: there is nothing to map")

    perplexity = float(min(30.0, (len(sample) - 1) / 3))
    embedded = TSNE(
        n_components=2,
        perplexity=perplexity,
        init="pca",
        learning_rate="auto",
        random_state=seed,
        max_iter=TSNE_ITERATIONS,
        n_jobs=-1,
    ).fit_transform(reduced)
    return pd.DataFrame(
        {
            "x": embedded[:, 0],
            "y": embedded[:, 1],
            "label": sample_labels.to_numpy(),
            "text": sample.str.slice(0, HOVER_CHARS).to_numpy(),
        }
    )
