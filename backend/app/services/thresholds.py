"""A model's decision thresholds: read them, and change them without retraining, either by
an objective chosen again on the held-out split or by hand. Every change keeps the setting
it replaces in the model's threshold history, and the model in memory predicts with the new
one from the next request on."""

import threading
from datetime import UTC, datetime

import numpy as np

from app.core.errors import ConflictError, InvalidInputError
from app.ml.thresholds import at_cut, choose_threshold
from app.registry.entities import ModelRecord
from app.services.evaluation import EvaluationService
from app.services.models import ModelService, cutoffs_of
from shared.schemas import ModelStatus, ScoresRequest
from shared.schemas.thresholds import (
    DecisionThresholds,
    LabelThreshold,
    ThresholdsRead,
    ThresholdsUpdate,
)


def _read(model: ModelRecord) -> ThresholdsRead:
    return ThresholdsRead(
        model_id=model.id, thresholds=model.thresholds, history=model.threshold_history
    )


class ThresholdService:
    def __init__(self, *, models: ModelService, evaluation: EvaluationService) -> None:
        self.models = models
        self.evaluation = evaluation
        self._lock = threading.Lock()  # one change at a time: none lost from the history

    def read(self, model_id: str) -> ThresholdsRead:
        return _read(self.models.get(model_id))

    def update(self, model_id: str, update: ThresholdsUpdate) -> ThresholdsRead:
        with self._lock:
            model = self.models.get(model_id)
            self._check(model)
            positive = model.classes[1]
            held_out = self._held_out(model, needed=update.objective is not None)
            note = None
            if update.objective is not None:
                assert held_out is not None
                threshold, note = choose_threshold(*held_out, update.objective, positive)
            else:
                threshold = self._by_hand(update, positive, held_out)
            new = DecisionThresholds(
                source="objective" if update.objective is not None else "manual",
                objective=update.objective,
                thresholds=[threshold],
                set_at=datetime.now(UTC),
                note=note,
            )
            history = [*model.threshold_history]
            if model.thresholds is not None:
                history.append(model.thresholds)
            saved = self.models.registry.update_model(
                model.id,
                thresholds=new.model_dump(mode="json"),
                threshold_history=[h.model_dump(mode="json") for h in history],
            )
            self.models.memory.set_cutoffs(model.id, cutoffs_of(saved))
            return _read(saved)

    @staticmethod
    def _check(model: ModelRecord) -> None:
        if model.status != ModelStatus.READY:
            raise ConflictError(f"model {model.id} is {model.status}, not trained yet")
        if model.label_columns:
            raise InvalidInputError(
                f"model {model.name} v{model.version} is multi-label; its labels are cut at "
                "0.5 each (thresholds per label are not settable yet)"
            )
        if len(model.classes) != 2:
            raise InvalidInputError(
                f"model {model.name} v{model.version} has {len(model.classes)} classes; "
                "decision thresholds are for binary models (a multiclass one predicts its "
                "most probable class)"
            )

    @staticmethod
    def _by_hand(
        update: ThresholdsUpdate, positive: object, held_out: tuple[np.ndarray, np.ndarray] | None
    ) -> LabelThreshold:
        assert update.thresholds is not None
        unknown = sorted(set(update.thresholds) - {str(positive)})
        if unknown:
            raise InvalidInputError(
                f"a binary model has one threshold, for its positive class {positive!r}; "
                f"not for {unknown[:5]}"
            )
        cut = float(update.thresholds[str(positive)])
        if held_out is None:
            return LabelThreshold(label=positive, threshold=cut)  # type: ignore[arg-type]
        return at_cut(*held_out, cut, positive)  # type: ignore[arg-type]

    def _held_out(
        self, model: ModelRecord, *, needed: bool
    ) -> tuple[np.ndarray, np.ndarray] | None:
        """Truths (has the positive class) and scores of the model's held-out split; None
        when its dataset is gone and the figures are only nice to have."""
        if model.dataset_id is None:
            if needed:
                raise ConflictError(
                    f"model {model.id}'s dataset is deleted, so its held-out split cannot be "
                    "scored again: give the threshold itself (thresholds) instead"
                )
            return None
        request = ScoresRequest(model_ids=[model.id], dataset_id=model.dataset_id, split="test")
        result = self.evaluation.scores(request).results[0]
        labels = result.labels or []
        truth = np.asarray([str(y) == str(model.classes[1]) for y in labels])
        return truth, np.asarray(result.scores, dtype=float)
