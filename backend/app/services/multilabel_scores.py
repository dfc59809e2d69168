"""Scores and mistakes of a multi-label model: each label its own ROC curve and AUC, and
their mean; a mistake is a row where any label is wrong."""

from collections.abc import Mapping

import numpy as np

from app.ml.multilabel import JOINER, MultiLabels, confidence, cuts_for
from app.ml.multilabel_metrics import mean_roc_auc, per_label
from app.registry.entities import ModelRecord
from app.services.models import cutoffs_of
from shared.schemas import ScoreResult


def score_multilabel(
    record: ModelRecord,
    proba: np.ndarray,
    truth: MultiLabels,
    *,
    split: str,
    includes_training_rows: bool,
    training_rows: int | None,
) -> ScoreResult:
    """The scores of a model whose probabilities of the rows are `proba`."""
    cutoffs = cutoffs_of(record)  # decided as its predictions are: at its thresholds
    labels = per_label(truth.matrix, proba, truth.names, cutoffs)
    decided = proba >= cuts_for(truth.names, cutoffs)
    exact = (decided == truth.matrix.astype(bool)).all(axis=1)
    return ScoreResult.model_validate(
        {
            "model_id": record.id,
            "version": record.version,
            "scores": [],
            "roc_auc": mean_roc_auc(labels),
            "fpr": [],
            "tpr": [],
            "positive_label": None,
            "n_rows": len(truth),
            "includes_training_rows": includes_training_rows,
            "training_rows": training_rows,
            "split": split,
            "labels": None,
            "accuracy": float(exact.mean()) if len(truth) else None,
            "per_class": labels,
            "multilabel": True,
            "label_scores": proba.astype(float).round(6).tolist(),
            "label_truths": truth.matrix.astype(int).tolist(),
        }
    )


def mistakes(
    proba: np.ndarray, truth: MultiLabels, cutoffs: Mapping[str, float] | None = None
) -> tuple[np.ndarray, list[str], list[str], list[float]]:
    """The rows with any label wrong at the labels' thresholds in force (`cutoffs`;
    DEFAULT_THRESHOLD where none), the most confident first, and for each row the true and
    predicted label sets joined, and the model's confidence."""
    cuts = cuts_for(truth.names, cutoffs)
    predicted = proba >= cuts
    wrong = np.flatnonzero((predicted != truth.matrix.astype(bool)).any(axis=1))
    conf = np.asarray([confidence(row, cuts) for row in proba])
    order = wrong[np.argsort(-conf[wrong], kind="stable")]
    names = truth.names
    true_sets = [
        JOINER.join(n for n, t in zip(names, truth.matrix[i], strict=True) if t) for i in order
    ]
    predicted_sets = [
        JOINER.join(n for n, p in zip(names, predicted[i], strict=True) if p) for i in order
    ]
    return order, true_sets, predicted_sets, [float(conf[i]) for i in order]
