"""Where the shared data lives (../shared/data beside the repo, or SHARED_DATA_DIR)."""

import os
from pathlib import Path

from testkit.servers import REPO_ROOT

DEMO_CSV = REPO_ROOT / "demo_data_sample.csv"


def shared_data_dir() -> Path:
    return Path(os.environ.get("SHARED_DATA_DIR", REPO_ROOT.parent / "shared" / "data"))


def toxic_sample() -> Path | None:
    path = shared_data_dir() / "toxic_sample_20k.csv"
    return path if path.is_file() else None


def zh_reviews() -> Path | None:
    """8,000 Chinese product reviews, positive/negative (SOURCES.md in the data folder)."""
    path = shared_data_dir() / "zh_reviews_8k.csv"
    return path if path.is_file() else None


def zh_reviews_holdout() -> Path | None:
    """3,000 more reviews from the same source, for evaluation only."""
    path = shared_data_dir() / "holdout" / "zh_reviews_holdout.csv"
    return path if path.is_file() else None


def qa_sample() -> Path | None:
    """2,380 questions about 480 contexts, English and Russian (for retrieval)."""
    path = shared_data_dir() / "qa_sample.csv"
    return path if path.is_file() else None
