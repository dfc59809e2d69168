"""A model's decision thresholds: read them, and change them without retraining, either by
an objective chosen again on the held-out split or by hand. Every change keeps the setting
it replaces in the model's threshold history, and the model in memory predicts with the new
one from the next request on.

A binary model has one threshold, for its positive class; a multi-label model one per
label, each label its own binary problem: an objective chooses all of them again, a change
by hand names some of them and keeps the others."""

import threading
from datetime import UTC, datetime

import numpy as np

from app.core.errors import ConflictError, InvalidInputError
from app.ml.multilabel import DEFAULT_THRESHOLD
from app.ml.thresholds import at_cut, choose_per_label, choose_threshold
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

# held-out truths and scores: a vector each (binary), or (n_rows, n_labels) (multi-label)
HeldOut = tuple[np.ndarray, np.ndarray]


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
            if update.thresholds is not None:
                self._check_names(model, update.thresholds)
            held_out = self._held_out(model, needed=update.objective is not None)
            note = None
            if update.objective is not None:
                assert held_out is not None
                if model.label_columns:
                    thresholds, note = choose_per_label(
                        *held_out, [str(c) for c in model.classes], update.objective
                    )
                else:
                    threshold, note = choose_threshold(
                        *held_out, update.objective, model.classes[1]
                    )
                    thresholds = [threshold]
            else:
                thresholds = self._by_hand(model, update, held_out)
            new = DecisionThresholds(
                source="objective" if update.objective is not None else "manual",
                objective=update.objective,
                thresholds=thresholds,
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
        if not model.label_columns and len(model.classes) != 2:
            raise InvalidInputError(
                f"model {model.name} v{model.version} has {len(model.classes)} classes; "
                "decision thresholds are for binary models and multi-label ones (a "
                "multiclass one predicts its most probable class)"
            )

    @staticmethod
    def _check_names(model: ModelRecord, given: dict[str, float]) -> None:
        names = [str(c) for c in model.classes]
        unknown = sorted(set(given) - set(names if model.label_columns else names[1:]))
        if not unknown:
            return
        if model.label_columns:
            raise InvalidInputError(
                f"model {model.name} v{model.version} has no label {unknown[:5]}; its labels "
                f"are {names}"
            )
        raise InvalidInputError(
            f"a binary model has one threshold, for its positive class {model.classes[1]!r}; "
            f"not for {unknown[:5]}"
        )

    @staticmethod
    def _by_hand(
        model: ModelRecord, update: ThresholdsUpdate, held_out: HeldOut | None
    ) -> list[LabelThreshold]:
        """The thresholds given, with their held-out figures when the split is there; a
        multi-label model keeps the labels not given as they are in force."""
        assert update.thresholds is not None
        if not model.label_columns:
            positive = model.classes[1]
            cut = float(update.thresholds[str(positive)])
            if held_out is None:
                return [LabelThreshold(label=positive, threshold=cut)]
            return [at_cut(*held_out, cut, positive)]
        in_force = {
            str(t.label): t for t in (model.thresholds.thresholds if model.thresholds else [])
        }
        out = []
        for i, label in enumerate(str(c) for c in model.classes):
            if label not in update.thresholds and label in in_force:
                out.append(in_force[label])
                continue
            cut = float(update.thresholds.get(label, DEFAULT_THRESHOLD))
            if held_out is None:
                out.append(LabelThreshold(label=label, threshold=cut))
            else:
                out.append(at_cut(held_out[0][:, i], held_out[1][:, i], cut, label))
        return out

    def _held_out(self, model: ModelRecord, *, needed: bool) -> HeldOut | None:
        """Truths (has the positive class / each label) and scores of the model's held-out
        split; None when its dataset is gone and the figures are only nice to have."""
        if model.dataset_id is None:
            if needed:
                raise ConflictError(
                    f"model {model.id}'s dataset is deleted, so its held-out split cannot be "
                    "scored again: give the threshold itself (thresholds) instead"
                )
            return None
        if model.label_columns:
            return self.evaluation.held_out_multilabel(model)
        request = ScoresRequest(model_ids=[model.id], dataset_id=model.dataset_id, split="test")
        result = self.evaluation.scores(request).results[0]
        labels = result.labels or []
        truth = np.asarray([str(y) == str(model.classes[1]) for y in labels])
        return truth, np.asarray(result.scores, dtype=float)
