"""TrainedModel: the unit that is saved, loaded and served.

A bundle is preprocessor + tokenizer/vectorizer + model. Each flavour (scikit-learn,
Keras) stores its own payload; the preprocessor config, the classes and a manifest are
common and written by `artifacts.py`.
"""

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import numpy as np

from app.ml import multilabel as ml_multilabel
from app.ml.labels import Label
from app.ml.preprocessing import Preprocessor


@dataclass(frozen=True)
class Predictions:
    """Per text: the label, its probability, every class's probability (in the model's
    `classes` order) and the share of its tokens the model knows (None: no tokens at all).
    A multi-label model's `label` is the labels that apply, joined, and `label_sets` lists
    them (None for other models)."""

    labels: list[Label]
    confidences: list[float]
    probabilities: list[list[float]]
    known_token_share: list[float | None]
    label_sets: list[list[Label]] | None = None

    def part(self, start: int, end: int) -> "Predictions":
        return Predictions(
            self.labels[start:end],
            self.confidences[start:end],
            self.probabilities[start:end],
            self.known_token_share[start:end],
            None if self.label_sets is None else self.label_sets[start:end],
        )


@dataclass(frozen=True)
class TokenTerms:
    """How warnings name a model's tokens (`known_token_share` counts them), and what its
    answer rests on for a text with none it knows."""

    unit: str = "words"
    without_known: str = "the answer is the class prior"


class TrainedModel(ABC):
    flavor: ClassVar[str]

    def __init__(
        self, *, preprocessor: Preprocessor, classes: Sequence[Label], multilabel: bool = False
    ) -> None:
        self.preprocessor = preprocessor
        # multi-label: the classes are the label columns, each with its own probability
        self.classes: list[Label] = list(classes)
        self.multilabel = multilabel
        # digests of the cleaned texts it has learnt from (app.ml.seen_texts); None for a
        # bundle saved before they were kept
        self.trained_texts: np.ndarray | None = None

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
        cls,
        directory: Path,
        *,
        preprocessor: Preprocessor,
        classes: list[Label],
        multilabel: bool = False,
    ) -> "TrainedModel":
        """Rebuild the model from the files `save_payload` wrote."""

    def versions(self) -> dict[str, str]:
        """Library versions worth recording in the manifest."""
        return {}

    def known_token_share(self, cleaned_texts: list[str]) -> list[float | None]:
        """Per text, the share of its tokens in the model's vocabulary (None when it has no
        tokens); what an answer rests on without them is `token_terms`."""
        return [None] * len(cleaned_texts)

    def token_terms(self) -> TokenTerms:
        """A linear model of the counted tokens only: a text with none known is the zero
        vector, answered by the intercepts, the class prior."""
        return TokenTerms()

    # Shared behaviour.
    def predict_proba(self, texts: Sequence[object]) -> np.ndarray:
        return self.predict_proba_cleaned(self.preprocessor.preprocess_texts(texts))

    def predict_proba_cleaned(self, cleaned_texts: list[str]) -> np.ndarray:
        """Probabilities of texts the preprocessor already cleaned (a split's rows), as
        training scored its held-out texts: not cleaned a second time."""
        if not cleaned_texts:
            return np.zeros((0, len(self.classes)))
        return self._proba(cleaned_texts)

    def predict(self, texts: Sequence[object]) -> Predictions:
        """Label, confidence (probability of that label), every class's probability and the
        share of known tokens, per text."""
        if len(texts) == 0:
            return Predictions([], [], [], [])
        cleaned = self.preprocessor.preprocess_texts(texts)
        proba = self._proba(cleaned)
        if self.multilabel:
            return self._multilabel_predictions(proba, cleaned)
        best = proba.argmax(axis=1)
        return Predictions(
            labels=[self.classes[i] for i in best],
            confidences=proba[np.arange(len(best)), best].astype(float).tolist(),
            probabilities=proba.astype(float).round(6).tolist(),
            known_token_share=self.known_token_share(cleaned),
        )

    def _multilabel_predictions(self, proba: np.ndarray, cleaned: list[str]) -> Predictions:
        names = [str(c) for c in self.classes]
        sets: list[list[Label]] = [list(ml_multilabel.applying(row, names)) for row in proba]
        return Predictions(
            labels=[ml_multilabel.JOINER.join(str(x) for x in s) for s in sets],
            confidences=[ml_multilabel.confidence(row) for row in proba],
            probabilities=proba.astype(float).round(6).tolist(),
            known_token_share=self.known_token_share(cleaned),
            label_sets=sets,
        )
