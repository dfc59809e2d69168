"""Fixtures of the ML tests."""

from typing import Any

import pytest

from app.ml import vectorizing


@pytest.fixture
def forked_slices(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many slices each parallel TF-IDF count cut its texts into (the real counting
    still runs): a test can tell the multi-process path from scikit-learn's own fit."""
    slices: list[int] = []
    real_map = vectorizing.map_forked

    def counting_map(fn: Any, items: Any) -> Any:
        slices.append(len(items))
        return real_map(fn, items)

    monkeypatch.setattr(vectorizing, "map_forked", counting_map)
    return slices
