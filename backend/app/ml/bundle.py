"""TrainedModel: the unit that is saved, loaded and served.

A bundle is preprocessor + tokenizer/vectorizer + model. Each flavour (scikit-learn,
Keras) stores its own payload; the preprocessor config, the classes and a manifest are
common and written by `artifacts.py`.
"""

from abc import ABC, abstractmethod
from collections.abc import Sequence
from pathlib import Path
from typing import ClassVar

import numpy as np

from app.ml.labels import Label
from app.ml.preprocessing import Preprocessor


class TrainedModel(ABC):
    flavor: ClassVar[str]

    def __init__(self, *, preprocessor: Preprocessor, classes: Sequence[Label]) -> None:
        self.preprocessor = preprocessor
        self.classes: list[Label] = list(classes)

    # Each flavour implements these three.
    @abstractmethod
    def _proba(self, cleaned_texts: list[str]) -> np.ndarray:
        """Class probabilities, shape (n_texts, n_classes), columns in `self.classes` order."""

    @abstractmethod
    def save_payload(self, directory: Path) -> None:
        """Write the flavour's files (vectorizer/tokenizer + model) into `directory`."""

    @classmethod
    @abstractmethod
    def load_payload(
        cls, directory: Path, *, preprocessor: Preprocessor, classes: list[Label]
    ) -> "TrainedModel":
        """Rebuild the model from the files `save_payload` wrote."""

    def versions(self) -> dict[str, str]:
        """Library versions worth recording in the manifest."""
        return {}

    # Shared behaviour.
    def predict_proba(self, texts: Sequence[object]) -> np.ndarray:
        if len(texts) == 0:
            return np.zeros((0, len(self.classes)))
        return self._proba(self.preprocessor.preprocess_texts(texts))

    def predict(self, texts: Sequence[object]) -> tuple[list[Label], list[float]]:
        """Label and confidence (probability of that label) per text."""
        proba = self.predict_proba(texts)
        if proba.shape[0] == 0:
            return [], []
        best = proba.argmax(axis=1)
        labels = [self.classes[i] for i in best]
        return labels, proba[np.arange(len(best)), best].astype(float).tolist()

    def positive_scores(self, texts: Sequence[object]) -> np.ndarray:
        """Score of the positive class (the second class) for binary models, for ROC curves."""
        proba = self.predict_proba(texts)
        return proba[:, 1] if proba.shape[1] == 2 else proba.max(axis=1)
