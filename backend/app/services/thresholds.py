"""A model's decision thresholds: read them, and change them without retraining, either by
an objective chosen again on the held-out split or by hand.

A change is the next version of the model's name (lineage source `thresholds`): the same
kind, params, preprocessing and dataset, its metrics computed again at the new thresholds
on the held-out split (cross-fitted when an objective chose them there), and its own
bundle file (the parent's, byte for byte, with the new thresholds and metrics in its
manifest), so an exported copy decides as it does. The parent is not changed. The new
version is loaded when its parent was; aliases move only when the change names one
(`move_alias`). The thresholds it replaces go to its history.

A binary model has one threshold, for its positive class; a multi-label model one per
label, each label its own binary problem: an objective chooses all of them again, a change
by hand names some of them and keeps the others."""

import logging
import threading
import uuid
from datetime import UTC, datetime

import numpy as np

from app.core.errors import ConflictError, InvalidInputError
from app.ml.artifacts import ArtifactError, copy_with_manifest, remove_artifact
from app.ml.cross_fitting import metrics_at
from app.ml.labels import Label
from app.ml.multilabel import DEFAULT_THRESHOLD, MultiLabels
from app.ml.thresholds import at_cut, choose_per_label, choose_threshold
from app.registry.entities import ModelRecord
from app.registry.tables import utcnow
from app.services.aliases import AliasService
from app.services.evaluation import EvaluationService
from app.services.models import ModelService
from app.services.training_specs import manifest_of
from shared.schemas import Metrics, ModelSource, ModelStatus
from shared.schemas.thresholds import (
    DecisionThresholds,
    LabelThreshold,
    ThresholdsRead,
    ThresholdsUpdate,
)

log = logging.getLogger(__name__)

# held-out truths (labels, or a multi-label model's MultiLabels) and the model's
# probabilities, columns in its class order
HeldOut = tuple[list[Label] | MultiLabels, np.ndarray]


def _read(model: ModelRecord, moved_alias: str | None = None) -> ThresholdsRead:
    return ThresholdsRead(
        model_id=model.id,
        thresholds=model.thresholds,
        history=model.threshold_history,
        name=model.name,
        version=model.version,
        parent_id=model.parent_id,
        parent_version=model.parent_version,
        loaded=model.loaded,
        moved_alias=moved_alias,
    )


class ThresholdService:
    def __init__(
        self, *, models: ModelService, evaluation: EvaluationService, aliases: AliasService
    ) -> None:
        self.models = models
        self.evaluation = evaluation
        self.aliases = aliases
        self._lock = threading.Lock()  # one change at a time: none lost from the history

    def read(self, model_id: str) -> ThresholdsRead:
        return _read(self.models.get(model_id))

    def update(
        self, model_id: str, update: ThresholdsUpdate, *, caller: str | None = None
    ) -> ThresholdsRead:
        """The next version of the model's name with the thresholds `update` asks for."""
        with self._lock:
            parent = self.models.get(model_id)
            self._check(parent)
            if update.thresholds is not None:
                self._check_names(parent, update.thresholds)
            held_out = self._held_out(parent, needed=update.objective is not None)
            note = None
            if update.objective is not None:
                assert held_out is not None
                if parent.label_columns:
                    thresholds, note = choose_per_label(
                        *_truth_and_scores(parent, held_out),
                        [str(c) for c in parent.classes],
                        update.objective,
                    )
                else:
                    threshold, note = choose_threshold(
                        *_truth_and_scores(parent, held_out), update.objective, parent.classes[1]
                    )
                    thresholds = [threshold]
            else:
                thresholds = self._by_hand(parent, update, held_out)
            new = DecisionThresholds(
                source="objective" if update.objective is not None else "manual",
                objective=update.objective,
                thresholds=thresholds,
                set_at=datetime.now(UTC),
                note=note,
            )
            child = self._new_version(parent, new, held_out)
        moved = None
        if update.move_alias is not None:
            self.aliases.set(
                child.name,
                update.move_alias,
                version=child.version,
                reason=f"thresholds changed: v{parent.version} -> v{child.version}",
                caller=caller,
            )
            moved = update.move_alias
            child = self.models.get(child.id)
        return _read(child, moved)

    def _new_version(
        self, parent: ModelRecord, thresholds: DecisionThresholds, held_out: HeldOut | None
    ) -> ModelRecord:
        """Store the child version, write its bundle, then mark it ready (and load it when
        its parent is loaded). A bundle that cannot be written leaves no version behind."""
        history = [*parent.threshold_history]
        if parent.thresholds is not None:
            history.append(parent.thresholds)
        model_id = uuid.uuid4().hex
        child = parent.model_copy(
            update={
                "id": model_id,
                "version": 0,
                "status": ModelStatus.TRAINING,  # until its file is written
                "is_default": False,
                "loaded": False,
                "thresholds": thresholds,
                "threshold_history": history,
                "metrics": self._metrics(parent, thresholds, held_out),
                "error": None,
                "created_at": utcnow(),
                "artifact_file": f"{model_id}.zip",
                "artifact_sha256": None,
                "parent_id": parent.id,
                "parent_version": parent.version,
                "source": ModelSource.THRESHOLDS,
                "aliases": [],
            }
        )
        stored = self.models.registry.add_model_version(child)
        artifact = self.models.models_dir / f"{model_id}.zip"
        try:
            sha = copy_with_manifest(
                self.models.models_dir / (parent.artifact_file or ""),
                artifact,
                expected_sha256=parent.artifact_sha256 or "",
                changes={
                    **manifest_of(stored),
                    "metrics": stored.metrics.model_dump(mode="json") if stored.metrics else None,
                    "thresholds": thresholds.model_dump(mode="json"),
                },
            )
        except ArtifactError as exc:
            self.models.registry.delete_model(stored.id)
            remove_artifact(artifact)
            raise ConflictError(
                f"model {parent.id}'s bundle cannot be copied for the new version: {exc}"
            ) from exc
        saved = self.models.registry.update_model(
            stored.id, status=ModelStatus.READY, artifact_sha256=sha
        )
        log.info(
            "model %s: %s v%d made from v%d with new decision thresholds",
            saved.id,
            saved.name,
            saved.version,
            parent.version,
        )
        if parent.loaded:
            saved = self.models.load(saved.id)
        return saved

    @staticmethod
    def _metrics(
        parent: ModelRecord, thresholds: DecisionThresholds, held_out: HeldOut | None
    ) -> Metrics | None:
        """The parent's held-out metrics decided at the new thresholds (cross-fitted when an
        objective chose them on these rows, `metrics_at`); the parent's as they are (they
        say which thresholds they were computed at) when its dataset is gone."""
        if held_out is None or parent.metrics is None:
            return parent.metrics
        targets, proba = held_out
        figures = metrics_at(targets, proba, parent.classes, thresholds)
        figures["n_train"] = parent.metrics.n_train
        return Metrics.model_validate(figures)

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
        scored = None if held_out is None else _truth_and_scores(model, held_out)
        if not model.label_columns:
            positive = model.classes[1]
            cut = float(update.thresholds[str(positive)])
            if scored is None:
                return [LabelThreshold(label=positive, threshold=cut)]
            return [at_cut(*scored, cut, positive)]
        in_force = {
            str(t.label): t for t in (model.thresholds.thresholds if model.thresholds else [])
        }
        out = []
        for i, label in enumerate(str(c) for c in model.classes):
            if label not in update.thresholds and label in in_force:
                out.append(in_force[label])
                continue
            cut = float(update.thresholds.get(label, DEFAULT_THRESHOLD))
            if scored is None:
                out.append(LabelThreshold(label=label, threshold=cut))
            else:
                out.append(at_cut(scored[0][:, i], scored[1][:, i], cut, label))
        return out

    def _held_out(self, model: ModelRecord, *, needed: bool) -> HeldOut | None:
        """The true labels and the model's probabilities on its held-out split; None when
        the data its fit read is gone (a dataset deleted, also the second of a retrain on
        both) and the figures are only nice to have."""
        if model.dataset_id is None or not self.evaluation.splits.can_split_again(model):
            if needed:
                raise ConflictError(
                    f"model {model.id}'s dataset is deleted, so its held-out split cannot be "
                    "scored again: give the threshold itself (thresholds) instead"
                )
            return None
        return self.evaluation.held_out_predictions(model)


def _truth_and_scores(model: ModelRecord, held_out: HeldOut) -> tuple[np.ndarray, np.ndarray]:
    """Whether each held-out row has the positive class, and its probability (binary); or
    (n_rows, n_labels) each (multi-label)."""
    targets, proba = held_out
    if isinstance(targets, MultiLabels):
        return targets.matrix.astype(bool), proba
    positive = str(model.classes[1])
    return np.asarray([str(y) == positive for y in targets]), proba[:, 1]
